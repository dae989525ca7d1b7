// Produce load: several @platformatic/kafka producers, each its own client and connection, each keeping at
// most `window` send() calls in flight (so the clients never queue without bound), sending arrays of
// fixed-size records to one partition each. Latency is measured per send() call by the client.
import { randomBytes } from 'node:crypto';
import { Producer, ProduceAcks } from '@platformatic/kafka';
import { summarize, type LatencySummary } from './stats.ts';

export interface ProduceLoadOptions {
  bootstrap: string;
  topic: string;
  partitions: number;
  producers: number;
  /** send() calls in flight per producer. */
  window: number;
  recordsPerSend: number;
  recordBytes: number;
  acks: number;
  /** Sends started during the warm-up are not counted. */
  warmupMs: number;
  /** Stop after this long of measurement… */
  durationMs: number;
  /** …or once this many records were sent, warm-up included (Infinity: duration only). */
  maxRecords: number;
  label: string;
}

export interface ProduceLoadResult {
  /** Records acknowledged in the measured window. */
  records: number;
  /** Records acknowledged in all, warm-up included (what the broker's counters for the phase cover). */
  recordsSent: number;
  bytes: number;
  sends: number;
  durationMs: number;
  recordsPerSec: number;
  bytesPerSec: number;
  latency: LatencySummary;
}

export async function runProduceLoad(options: ProduceLoadOptions): Promise<ProduceLoadResult> {
  const producers = Array.from(
    { length: options.producers },
    (_, i) =>
      new Producer({
        clientId: `bench-${options.label}-${i}`,
        bootstrapBrokers: [options.bootstrap],
        acks: options.acks,
        compression: 'none',
        idempotent: false,
        autocreateTopics: false,
        retries: 0,
      }),
  );
  try {
    // Connect and learn the partition leaders before the clock starts.
    await Promise.all(producers.map((p) => p.metadata({ topics: [options.topic] })));

    const latencies: number[] = [];
    let claimed = 0;
    let recordsSent = 0;
    let records = 0;
    let sends = 0;
    let lastCompletion = 0;
    let stop = false;
    const measureFrom = performance.now() + options.warmupMs;
    const measureUntil = measureFrom + options.durationMs;

    const worker = async (producer: Producer, partition: number, payload: Buffer): Promise<void> => {
      while (!stop) {
        const start = performance.now();
        const count = Math.min(options.recordsPerSend, options.maxRecords - claimed);
        if (start >= measureUntil || count <= 0) break;
        claimed += count;
        const messages = Array.from({ length: count }, () => ({
          topic: options.topic,
          partition,
          value: payload,
        }));
        try {
          await producer.send({ messages });
        } catch (err) {
          stop = true;
          throw err;
        }
        recordsSent += count;
        if (start < measureFrom) continue;
        lastCompletion = performance.now();
        latencies.push(lastCompletion - start);
        records += count;
        sends++;
      }
    };
    await Promise.all(
      producers.flatMap((producer, i) => {
        const payload = randomBytes(options.recordBytes);
        return Array.from({ length: options.window }, () =>
          worker(producer, i % options.partitions, payload),
        );
      }),
    );
    // Nothing counted (every send straddled the window) leaves no duration to divide by.
    const durationMs = records > 0 ? lastCompletion - measureFrom : Number.NaN;
    const bytes = records * options.recordBytes;
    return {
      records,
      recordsSent,
      bytes,
      sends,
      durationMs,
      recordsPerSec: records / (durationMs / 1000),
      bytesPerSec: bytes / (durationMs / 1000),
      latency: summarize(latencies),
    };
  } finally {
    await Promise.allSettled(producers.map((p) => p.close()));
  }
}

export const ACKS_ALL = ProduceAcks.ALL;
