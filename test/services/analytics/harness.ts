// Shared by the analytics tests: metric envelopes as the SDK writes them, a producer for them, a resolved
// topology with one analytics component, JSON over HTTP, and PostgreSQL schemas that are dropped after.
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { encodeEnvelope, envelopeHeaders, seriesKey, type MetricPoint } from '../../../src/sdk/index.ts';
import { createBusProducer } from '../../../src/sdk/kafka-client.ts';
import { topology, type ResolvedTopology } from '../../../src/topology/schema.ts';

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface RawRecord {
  key: string;
  value: Buffer;
  headers: Record<string, Buffer>;
}

let seq = 0;
/** One metric point as the SDK publishes it: the envelope, keyed by its series. */
export function metricRecord(point: MetricPoint): RawRecord {
  const envelope = {
    v: 1 as const,
    kind: 'metric' as const,
    service: 'checkout',
    producer: 'checkout-test-1-00000000',
    stream: 'metrics',
    seq: seq++,
    ts: point.ts,
    data: point,
  };
  return {
    key: seriesKey(point.name, point.attributes),
    value: encodeEnvelope(envelope),
    headers: envelopeHeaders(envelope),
  };
}

export function rawRecord(value: string, key = 'poison'): RawRecord {
  return { key, value: Buffer.from(value), headers: {} };
}

export async function produce(bootstrap: string, topic: string, records: RawRecord[]): Promise<void> {
  const producer = createBusProducer({ bootstrap: bootstrap.split(',') }, { acks: -1, idempotent: false });
  try {
    for (let i = 0; i < records.length; i += 500) {
      await producer.send(
        records
          .slice(i, i + 500)
          .map((r) => ({ topic, key: Buffer.from(r.key), value: r.value, headers: r.headers })),
      );
    }
  } finally {
    await producer.close();
  }
}

/** A resolved topology: bus `metrics` at `bootstrap`, stream `metrics` on `topic`, and `components`. */
export function analyticsTopology(
  dataDir: string,
  bootstrap: string,
  topic: string,
  components: Record<string, Record<string, unknown>>,
): ResolvedTopology {
  return {
    ...topology.parse({
      dataDir,
      buses: { metrics: { kind: 'kafka', bootstrap: bootstrap.split(',') } },
      streams: { metrics: { bus: 'metrics', topic } },
      components: Object.fromEntries(
        Object.entries(components).map(([n, c]) => [n, { kind: 'analytics', ...c }]),
      ),
    }),
    resolved: true,
  };
}

export interface SeriesPoint {
  t: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
}
export interface SeriesBody {
  resolution: string;
  series: { name: string; attributes: Record<string, unknown>; points: SeriesPoint[] }[];
}

export async function getJson<T = unknown>(
  port: number,
  pathAndQuery: string,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`http://127.0.0.1:${port}${pathAndQuery}`);
  return { status: res.status, body: (await res.json()) as T };
}

/** A fresh schema name, dropped (with everything in it) when `t` ends. */
export function pgSchema(t: TestContext): string {
  const schema = `analytics_test_${randomBytes(4).toString('hex')}`;
  t.after(async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await client.end();
    }
  });
  return schema;
}
