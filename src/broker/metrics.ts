// Prometheus metrics of the broker, served on the admin port: requests by API and outcome, bytes and records
// in and out, open connections, fsync latency, and per-partition log sizes (read at scrape time).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { errorName } from '../protocol/error-codes.ts';

export interface PartitionSize {
  readonly topic: string;
  readonly partition: number;
  readonly bytes: number;
}

export class BrokerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'api' | 'error'>;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
  readonly recordsIn: Counter;
  readonly recordsOut: Counter;
  readonly connections: Gauge;
  readonly fsyncSeconds: Histogram;

  constructor(partitionSizes: () => Iterable<PartitionSize>) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_broker_' });
    this.requests = new Counter({
      name: 'sluice_broker_requests_total',
      help: 'Requests handled, by API and by the first non-zero error code in the response (NONE if none).',
      labelNames: ['api', 'error'],
      registers,
    });
    this.bytesIn = new Counter({
      name: 'sluice_broker_received_bytes_total',
      help: 'Request bytes received.',
      registers,
    });
    this.bytesOut = new Counter({
      name: 'sluice_broker_sent_bytes_total',
      help: 'Response bytes sent.',
      registers,
    });
    // Records, not just bytes: what a health board shows as a bus's throughput.
    this.recordsIn = new Counter({
      name: 'sluice_broker_records_in_total',
      help: 'Records appended by Produce requests.',
      registers,
    });
    this.recordsOut = new Counter({
      name: 'sluice_broker_records_out_total',
      help: 'Records sent in Fetch responses (whole batches, as read from the log).',
      registers,
    });
    this.connections = new Gauge({
      name: 'sluice_broker_connections',
      help: 'Open client connections.',
      registers,
    });
    this.fsyncSeconds = new Histogram({
      name: 'sluice_broker_fsync_seconds',
      help: 'Latency of fsync calls on log and metadata files.',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    new Gauge({
      name: 'sluice_broker_partition_bytes',
      help: 'Bytes on disk per partition log.',
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const p of partitionSizes())
          this.set({ topic: p.topic, partition: String(p.partition) }, p.bytes);
      },
    });
  }

  /** Counts one answered request, labelled with the first error code found anywhere in its response. */
  recordResponse(api: string, response: unknown): void {
    const code = firstErrorCode(response);
    this.requests.inc({ api, error: code === 0 ? 'NONE' : errorName(code) });
  }
}

function firstErrorCode(value: unknown): number {
  if (Array.isArray(value)) {
    for (const item of value) {
      const code = firstErrorCode(item);
      if (code !== 0) return code;
    }
    return 0;
  }
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return 0;
  const record = value as Record<string, unknown>;
  if (typeof record.errorCode === 'number' && record.errorCode !== 0) return record.errorCode;
  for (const [key, child] of Object.entries(record)) {
    if (key === 'errorCode' || typeof child !== 'object' || child === null) continue;
    const code = firstErrorCode(child);
    if (code !== 0) return code;
  }
  return 0;
}
