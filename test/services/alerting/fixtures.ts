// What the alerting service tests share: a webhook receiver that dedupes by idempotency key (the contract
// docs/alerting.md gives receivers), a topology around a test bus, and metric points to publish.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricEnvelope } from '../../../src/sdk/index.ts';
import { createBusProducer, type OutgoingRecord } from '../../../src/sdk/kafka-client.ts';
import { encodeEnvelope, envelopeHeaders, seriesKey } from '../../../src/sdk/index.ts';
import type { Notification } from '../../../src/services/alerting/notifications.ts';
import { topology, type ResolvedTopology } from '../../../src/topology/schema.ts';

export interface Delivery {
  key: string;
  notification: Notification;
}

export interface WebhookReceiver {
  readonly url: string;
  /** Every POST, in arrival order (duplicates included). */
  readonly deliveries: Delivery[];
  /** The notifications kept after deduplication by Idempotency-Key, in arrival order. */
  readonly accepted: Delivery[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const accepted: Delivery[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = req.headers['idempotency-key'];
      const notification = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Notification;
      if (typeof key !== 'string' || key !== notification.idempotencyKey) {
        res.writeHead(400).end('the Idempotency-Key header must equal the body idempotencyKey');
        return;
      }
      deliveries.push({ key, notification });
      if (!accepted.some((d) => d.key === key)) accepted.push({ key, notification });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    accepted,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A resolved topology with one `metrics` stream on the test bus and one alerting component `alerts`. */
export function alertingTopology(
  dataDir: string,
  bootstrap: string,
  topic: string,
  settings: Record<string, unknown>,
): ResolvedTopology {
  const parsed = topology.parse({
    dataDir,
    buses: { main: { kind: 'kafka', bootstrap: bootstrap.split(',') } },
    streams: { metrics: { bus: 'main', topic, partitions: 3 } },
    components: { alerts: { kind: 'alerting', sessionTimeoutMs: 6000, ...settings } },
  });
  return { ...parsed, resolved: true };
}

let seq = 0;
/** A gauge point of `service` at event time `ts`. */
export function gaugeAt(name: string, ts: number, value: number, service: string): MetricEnvelope {
  return {
    v: 1,
    kind: 'metric',
    service,
    producer: `${service}-test`,
    stream: 'metrics',
    seq: seq++,
    ts,
    data: { name, attributes: {}, startTs: ts - 10_000, ts, type: 'gauge', value },
  };
}

/** Publishes envelopes (keyed by series, as the SDK does) and raw values to `topic`. */
export async function publish(
  bootstrap: string,
  topic: string,
  items: (MetricEnvelope | string)[],
): Promise<void> {
  const producer = createBusProducer({ bootstrap: bootstrap.split(',') }, { acks: -1, idempotent: true });
  try {
    const records: OutgoingRecord[] = items.map((item) =>
      typeof item === 'string'
        ? { topic, key: Buffer.from('bad'), value: Buffer.from(item), headers: {} }
        : {
            topic,
            key: Buffer.from(seriesKey(item.data.name, { service: item.service })),
            value: encodeEnvelope(item),
            headers: envelopeHeaders(item),
          },
    );
    await producer.send(records);
  } finally {
    await producer.close();
  }
}

/** Rules over gauge `queue.depth` per service: max over 10 s above 100, for 10 s; notified at once. */
export const QUEUE_RULES = `
evaluation_interval: 10s
stale_after: 1m
route: { group_by: [alertname, service], group_wait: 0s, group_interval: 0s, repeat_interval: 1h }
rules:
  - name: DeepQueue
    metric: queue.depth
    aggregation: max
    window: 10s
    by: [service]
    op: '>'
    threshold: 100
    for: 10s
    severity: page
    annotations: { summary: 'queue of {{ $labels.service }} at {{ $value }}' }
`;
