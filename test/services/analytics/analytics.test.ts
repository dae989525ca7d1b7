// The analytics service in-process, on the embedded broker, with each store: known input → exact count,
// sum, min, max and quantiles within the sketch's accuracy through the query API; bad parameters → 400
// naming them; poison records → the dead-letter topic with the reason, counted, and consumption goes on.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { describe, test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { consume, DLQ_HEADERS, type MetricPoint } from '../../../src/sdk/index.ts';
import type { IncomingRecord } from '../../../src/sdk/kafka-client.ts';
import type { ComponentStatus } from '../../../src/services/runtime.ts';
import { startComponent, type StartComponentOptions } from '../../../src/services/start-component.ts';
import { topology } from '../../../src/topology/schema.ts';
import { startTestBroker, tempDir } from '../../helpers/broker.ts';
import { createTopicOn } from '../../helpers/target.ts';
import { prng } from '../../helpers/prng.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import {
  analyticsTopology,
  getJson,
  metricRecord,
  PG_URL,
  pgSchema,
  produce,
  rawRecord,
  type SeriesBody,
} from './harness.ts';

const HOUR = 3_600_000;
/** The start of the previous hour: every window of the input is complete and inside the retention. */
const W = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
const silent: StartComponentOptions = { logger: pino({ level: 'silent' }) };

/** 1000 gauge points 1..1000 (shuffled) in one 10 s window, histograms in two, a counter, poison. */
function input(): { records: ReturnType<typeof metricRecord>[]; metricPoints: number } {
  const random = prng(42);
  const values = Array.from({ length: 1000 }, (_, i) => i + 1);
  for (let i = values.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [values[i], values[j]] = [values[j], values[i]];
  }
  const points: MetricPoint[] = values.map((value, i) => ({
    name: 'queue.depth',
    attributes: { queue: 'orders' },
    startTs: W + i * 5,
    ts: W + i * 5 + 5,
    type: 'gauge',
    value,
  }));
  const histogram = (
    route: string,
    window: number,
    counts: number[],
    sum: number,
    min: number,
    max: number,
  ): MetricPoint => ({
    name: 'http.server.duration',
    unit: 'ms',
    attributes: { route },
    startTs: W + window * 10_000,
    ts: W + window * 10_000 + 10_000,
    type: 'histogram',
    temporality: 'delta',
    bounds: [0, 5, 10, 25, 50],
    counts,
    count: counts.reduce((a, b) => a + b, 0),
    sum,
    min,
    max,
  });
  points.push(
    histogram('/cart', 0, [0, 3, 40, 200, 31, 9], 6120.5, 1.2, 212),
    histogram('/cart', 1, [0, 1, 0, 0, 0, 0], 2.5, 2.5, 2.5),
    histogram('/pay', 1, [0, 0, 0, 4, 0, 0], 60, 12, 18),
  );
  for (const [i, value] of [40, 2, 1248].entries()) {
    points.push({
      name: 'http.server.requests',
      attributes: { code: 200, route: '/cart' },
      startTs: W + i * 10_000,
      ts: W + i * 10_000 + 10_000,
      type: 'sum',
      temporality: 'delta',
      monotonic: true,
      value,
    });
  }
  const records = points.map(metricRecord);
  // Poison in the middle of the stream (the same key as a good series: same partition, records after it);
  // a later envelope version and a log envelope, which are not poison but nothing to roll up: skipped.
  const at = records.length - 3;
  records.splice(
    at,
    0,
    rawRecord('not json {', 'http.server.requests{code=200,route="/cart"}'),
    rawRecord(
      JSON.stringify({
        v: 1,
        kind: 'metric',
        service: 's',
        producer: 'p',
        stream: 'metrics',
        seq: 1,
        ts: W,
        data: { name: 'x' },
      }),
      'http.server.requests{code=200,route="/cart"}',
    ),
    rawRecord(JSON.stringify({ v: 2, kind: 'metric', data: {} }), 'p'),
    rawRecord(
      JSON.stringify({
        v: 1,
        kind: 'log',
        service: 's',
        producer: 'p',
        stream: 'metrics',
        seq: 2,
        ts: W,
        data: { level: 'info', message: 'hi', fields: {} },
      }),
      'p',
    ),
  );
  return { records, metricPoints: points.length };
}

async function runService(t: TestContext, store: 'sqlite' | 'postgres') {
  const broker = await startTestBroker(t);
  const dir = await tempDir('sluice-analytics-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  await createTopicOn(broker.bootstrap, 'metrics', 3);
  const { records, metricPoints } = input();
  await produce(broker.bootstrap, 'metrics', records);
  const settings =
    store === 'postgres' ? { store: { kind: 'postgres', url: PG_URL, schema: pgSchema(t) } } : {};
  const resolved = analyticsTopology(dir, broker.bootstrap, 'metrics', { analytics: settings });
  const running = await startComponent(resolved, 'analytics', silent);
  t.after(() => running.stop());
  await waitFor(
    async () => {
      const { details } = (await getJson<ComponentStatus>(running.httpPort, '/status')).body;
      const counts = (details.streams as Record<string, Record<string, number>>).metrics;
      return counts['rolled-up'] === metricPoints && counts['dead-lettered'] === 2 && counts.skipped === 2;
    },
    { what: 'analytics to roll up every point' },
  );
  return { broker, port: running.httpPort };
}

function within(actual: number, exact: number, alpha: number, what: string): void {
  assert.ok(
    Math.abs(actual - exact) <= alpha * Math.abs(exact) + 1e-9,
    `${what}: ${actual} is not within ${alpha} of ${exact}`,
  );
}

for (const store of ['sqlite', 'postgres'] as const) {
  describe(`analytics with the ${store} store`, () => {
    test('known input: exact count, sum, min, max; quantiles within the stated accuracy', async (t) => {
      const { port } = await runService(t, store);
      const gauge = await getJson<SeriesBody>(
        port,
        `/api/v1/series?name=queue.depth&from=${W}&to=${W + HOUR}&step=10s`,
      );
      assert.equal(gauge.status, 200);
      assert.equal(gauge.body.resolution, '10s');
      assert.equal(gauge.body.series.length, 1);
      assert.deepEqual(gauge.body.series[0].attributes, { queue: 'orders' });
      const points = gauge.body.series[0].points;
      assert.deepEqual(
        points.map((p) => p.t),
        [W],
      );
      const [p] = points;
      assert.deepEqual([p.count, p.sum, p.min, p.max], [1000, 500_500, 1, 1000]);
      // The exact quantiles of 1..1000 (rank floor(q·999)): 500, 900, 990.
      within(p.p50, 500, 0.01, 'p50');
      within(p.p90, 900, 0.01, 'p90');
      within(p.p99, 990, 0.01, 'p99');

      // Histograms: the 1 min window holds both 10 s windows of /cart, exactly merged.
      const minute = await getJson<SeriesBody>(
        port,
        `/api/v1/series?name=http.server.duration&match=route=/cart&from=${W}&to=${W + 60_000}&step=1m`,
      );
      assert.equal(minute.body.series.length, 1);
      const [m] = minute.body.series[0].points;
      assert.deepEqual([m.t, m.count, m.sum, m.min, m.max], [W, 284, 6123, 1.2, 212]);
      // Rank floor(0.5·283) = 141 is in (10, 25], whose midpoint is 17.5; rank 280 (p99) in (50, +inf)
      // clamped to max: (50 + 212) / 2 = 131.
      within(m.p50, 17.5, 0.01, 'histogram p50');
      within(m.p99, 131, 0.01, 'histogram p99');

      const counter = await getJson<SeriesBody>(
        port,
        `/api/v1/series?name=http.server.requests&from=${W}&to=${W + HOUR}&step=1h`,
      );
      assert.deepEqual(counter.body.series[0].attributes, { code: 200, route: '/cart' });
      assert.deepEqual(
        counter.body.series[0].points.map((q) => [q.t, q.count, q.sum, q.min, q.max]),
        [[W, 3, 1290, 2, 1248]],
      );
      const tenSeconds = await getJson<SeriesBody>(
        port,
        `/api/v1/series?name=http.server.requests&match=code=200&from=${W}&to=${W + 30_000}&step=10s`,
      );
      assert.deepEqual(
        tenSeconds.body.series[0].points.map((q) => [q.t, q.sum]),
        [
          [W, 40],
          [W + 10_000, 2],
          [W + 20_000, 1248],
        ],
      );

      assert.deepEqual((await getJson(port, '/api/v1/names')).body, {
        names: ['http.server.duration', 'http.server.requests', 'queue.depth'],
      });
      assert.deepEqual((await getJson(port, '/api/v1/labels?name=http.server.duration')).body, {
        labels: { route: ['/cart', '/pay'] },
      });
      const pay = await getJson<SeriesBody>(
        port,
        `/api/v1/series?name=http.server.duration&match=route=/pay&from=${W}&to=${W + HOUR}&step=10s`,
      );
      assert.deepEqual(
        pay.body.series.map((s) => s.attributes),
        [{ route: '/pay' }],
      );
      assert.deepEqual(
        pay.body.series[0].points.map((q) => [q.t, q.count, q.min, q.max]),
        [[W + 10_000, 4, 12, 18]],
      );
      const none = await getJson<SeriesBody>(
        port,
        `/api/v1/series?name=http.server.duration&match=route=/nope&from=${W}&to=${W + HOUR}`,
      );
      assert.deepEqual(none.body, { resolution: '10s', series: [] });
    });

    test('poison records go to the dead-letter topic with the reason, are counted, and consumption continues', async (t) => {
      const { broker, port } = await runService(t, store);
      const dead: IncomingRecord[] = [];
      const reader = await consume({
        bus: { bootstrap: [broker.bootstrap] },
        topic: 'metrics.dlq',
        group: 'dlq-reader',
        semantics: 'at-least-once',
        metrics: new Registry(),
        handler: (r) => void dead.push(r),
      });
      t.after(() => reader.stop());
      await waitFor(() => dead.length >= 2, { what: 'two dead letters' });
      const errors = dead.map((r) => r.headers.get(DLQ_HEADERS.error)?.toString());
      assert.match(errors[0] ?? '', /NonRetriableError: not-json at \$: not JSON/);
      assert.match(errors[1] ?? '', /NonRetriableError: schema at \$\.data\./);
      assert.equal(dead[0].value?.toString(), 'not json {');
      assert.equal(dead[0].headers.get(DLQ_HEADERS.topic)?.toString(), 'metrics');
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /sluice_analytics_records_total\{stream="metrics",outcome="dead-lettered"\} 2/);
      assert.match(metrics, /sluice_analytics_records_total\{stream="metrics",outcome="skipped"\} 2/);
      // The counter points after the poison (same partition) were rolled up: their sum is complete.
      const counter = await getJson<SeriesBody>(
        port,
        `/api/v1/series?name=http.server.requests&from=${W}&to=${W + HOUR}&step=1h`,
      );
      assert.equal(counter.body.series[0].points[0].sum, 1290);
    });
  });
}

test('several streams: one consumer group per stream, their points merge into the same rollups', async (t) => {
  const broker = await startTestBroker(t);
  const dir = await tempDir('sluice-analytics-streams-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  await createTopicOn(broker.bootstrap, 'metrics.a', 1);
  await createTopicOn(broker.bootstrap, 'metrics.b', 2);
  const point = (value: number): MetricPoint => ({
    name: 'jobs.done',
    attributes: {},
    startTs: W,
    ts: W + 10_000,
    type: 'sum',
    temporality: 'delta',
    monotonic: true,
    value,
  });
  await produce(broker.bootstrap, 'metrics.a', [metricRecord(point(5))]);
  await produce(broker.bootstrap, 'metrics.b', [metricRecord(point(7))]);
  const resolved = {
    ...topology.parse({
      dataDir: dir,
      buses: { m: { kind: 'kafka', bootstrap: [broker.bootstrap] } },
      streams: { a: { bus: 'm', topic: 'metrics.a' }, b: { bus: 'm', topic: 'metrics.b' } },
      components: { rollups: { kind: 'analytics', streams: ['a', 'b'] } },
    }),
    resolved: true as const,
  };
  const running = await startComponent(resolved, 'rollups', silent);
  t.after(() => running.stop());
  const status = await waitFor(
    async () => {
      const s = (await getJson<ComponentStatus>(running.httpPort, '/status')).body;
      const streams = s.details.streams as Record<string, Record<string, number>>;
      // The consumers show on /status once their lag is first exported.
      return streams.a['rolled-up'] === 1 && streams.b['rolled-up'] === 1 && s.consumers.length === 2
        ? s
        : undefined;
    },
    { what: 'both streams to be rolled up' },
  );
  assert.deepEqual(status.consumers.map((c) => c.group).sort(), [
    'sluice-analytics-rollups-a',
    'sluice-analytics-rollups-b',
  ]);
  const res = await getJson<SeriesBody>(
    running.httpPort,
    `/api/v1/series?name=jobs.done&from=${W}&to=${W + HOUR}&step=1h`,
  );
  assert.deepEqual(
    res.body.series[0].points.map((p) => [p.count, p.sum]),
    [[2, 12]],
  );
});
