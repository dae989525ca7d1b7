import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_BOUNDARIES,
  MetricAggregator,
  OVERFLOW_ATTRIBUTES,
} from '../../../src/sdk/telemetry/aggregator.ts';
import type { HistogramPoint, MetricPoint } from '../../../src/sdk/telemetry/envelope.ts';

const byKey = (points: MetricPoint[]) =>
  new Map(points.map((p) => [`${p.name}${JSON.stringify(p.attributes)}`, p]));

test('counters sum per series (attribute order does not matter) as deltas over the interval', () => {
  const agg = new MetricAggregator({ maxSeriesPerMetric: 100, now: 1000 });
  agg.record('sum', 'requests', 1, { method: 'GET', code: 200 }, { unit: '{request}' });
  agg.record('sum', 'requests', 2, { code: 200, method: 'GET' }, undefined);
  agg.record('sum', 'requests', 5, { method: 'POST', code: 200 }, undefined);
  agg.record('sum', 'requests', 0.5, undefined, undefined);
  const first = byKey(agg.collect(2000));
  assert.equal(first.size, 3);
  assert.deepEqual(first.get('requests{"code":200,"method":"GET"}'), {
    name: 'requests',
    unit: '{request}',
    attributes: { code: 200, method: 'GET' },
    startTs: 1000,
    ts: 2000,
    type: 'sum',
    temporality: 'delta',
    monotonic: true,
    value: 3,
  });
  assert.equal((first.get('requests{"code":200,"method":"POST"}') as { value: number }).value, 5);
  assert.equal((first.get('requests{}') as { value: number }).value, 0.5);
  agg.record('sum', 'requests', 4, { method: 'GET', code: 200 }, undefined);
  const second = agg.collect(3000);
  assert.equal(second.length, 1, 'only series touched in the interval are exported');
  assert.deepEqual(
    [second[0].startTs, second[0].ts, (second[0] as { value: number }).value],
    [2000, 3000, 4],
  );
});

test('gauges keep the last value of the interval', () => {
  const agg = new MetricAggregator({ maxSeriesPerMetric: 100, now: 0 });
  agg.record('gauge', 'queue.depth', 5, { q: 'a' }, undefined);
  agg.record('gauge', 'queue.depth', -2, { q: 'a' }, undefined);
  const [point] = agg.collect(10);
  assert.equal(point.type, 'gauge');
  assert.equal((point as { value: number }).value, -2);
});

test('histograms count into explicit buckets (upper bound inclusive) with sum, count, min and max', () => {
  const agg = new MetricAggregator({ maxSeriesPerMetric: 100, now: 0 });
  for (const v of [0, 1, 10, 10.5, 100, 101, -3])
    agg.record('histogram', 'latency', v, undefined, { boundaries: [0, 10, 100], unit: 'ms' });
  agg.record('histogram', 'other', 7, undefined, undefined);
  const points = byKey(agg.collect(5));
  const h = points.get('latency{}') as HistogramPoint;
  assert.deepEqual(h.bounds, [0, 10, 100]);
  assert.deepEqual(h.counts, [2, 2, 2, 1]); // (-inf,0]: -3,0  (0,10]: 1,10  (10,100]: 10.5,100  (100,inf): 101
  assert.deepEqual([h.count, h.sum, h.min, h.max, h.unit], [7, 219.5, -3, 101, 'ms']);
  const other = points.get('other{}') as HistogramPoint;
  assert.deepEqual(other.bounds, [...DEFAULT_BOUNDARIES]);
  assert.equal(other.counts[2], 1);
  agg.record('histogram', 'latency', 50, undefined, undefined);
  const next = agg.collect(6)[0] as HistogramPoint;
  assert.deepEqual(
    [next.counts, next.count, next.min, next.max],
    [[0, 0, 1, 0], 1, 50, 50],
    'reset after collect',
  );
});

test('attributes are snapshotted: mutating the caller object later changes nothing', () => {
  const agg = new MetricAggregator({ maxSeriesPerMetric: 100, now: 0 });
  const attrs: Record<string, string> = { route: '/a' };
  agg.record('sum', 'hits', 1, attrs, undefined);
  attrs.route = '/b';
  const [point] = agg.collect(1);
  assert.deepEqual(point.attributes, { route: '/a' });
});

test('series idle for a whole interval are forgotten; beyond maxSeriesPerMetric new series fold into overflow', () => {
  const agg = new MetricAggregator({ maxSeriesPerMetric: 3, now: 0 });
  for (let i = 0; i < 10; i++) agg.record('sum', 'c', 1, { i }, undefined);
  assert.equal(agg.seriesCount, 3 + 1);
  const points = agg.collect(1);
  const overflow = points.find((p) => p.attributes['otel.metric.overflow'] === true);
  assert.deepEqual(overflow?.attributes, OVERFLOW_ATTRIBUTES);
  assert.equal((overflow as { value: number }).value, 7);
  assert.equal(
    points.reduce((n, p) => n + (p as { value: number }).value, 0),
    10,
    'nothing lost to the cap',
  );
  assert.equal(agg.seriesCount, 4, 'kept for one idle interval');
  assert.deepEqual(agg.collect(2), []);
  assert.equal(agg.seriesCount, 0, 'idle series forgotten');
});
