import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  aggregateOf,
  attributesKey,
  mergeInto,
  quantilesOf,
  windowStart,
} from '../../../src/services/analytics/rollup.ts';
import type { HistogramPoint, MetricPoint } from '../../../src/sdk/index.ts';

const base = { name: 'm', attributes: {}, startTs: 1_764_241_990_000, ts: 1_764_242_000_000 };

test('a point counts in the window holding the last millisecond of its interval', () => {
  const point: MetricPoint = { ...base, type: 'gauge', value: 1 };
  assert.equal(windowStart(point, 10_000), 1_764_241_990_000); // exported on the boundary: the window it measured
  assert.equal(windowStart({ ...point, ts: point.ts + 1 }, 10_000), 1_764_242_000_000);
  assert.equal(windowStart(point, 3_600_000), 1_764_241_200_000);
  assert.equal(windowStart({ ...point, startTs: point.ts }, 10_000), 1_764_242_000_000); // empty interval
});

test('sum and gauge points are one observation each; histograms keep their exact count, sum, min, max', () => {
  const a = aggregateOf({ ...base, type: 'sum', temporality: 'delta', monotonic: true, value: 40 }, 0.01)!;
  mergeInto(a, aggregateOf({ ...base, type: 'sum', temporality: 'delta', monotonic: true, value: 2 }, 0.01)!);
  assert.deepEqual([a.count, a.sum, a.min, a.max], [2, 42, 2, 40]);

  const h: HistogramPoint = {
    ...base,
    type: 'histogram',
    temporality: 'delta',
    bounds: [0, 10, 100],
    counts: [0, 50, 40, 10],
    count: 100,
    sum: 5321.5,
    min: 1,
    max: 400,
  };
  const agg = aggregateOf(h, 0.01)!;
  assert.deepEqual([agg.count, agg.sum, agg.min, agg.max], [100, 5321.5, 1, 400]);
  // Representatives: (1+10)/2 = 5.5 for (0,10] clamped to min 1; 55 for (10,100]; (100+400)/2 = 250 for (100,inf).
  const { p50, p90, p99 } = quantilesOf(agg);
  assert.ok(Math.abs(p50 - 5.5) <= 0.055 + 1e-9, `p50 ${p50}`);
  assert.ok(Math.abs(p90 - 55) <= 0.55 + 1e-9, `p90 ${p90}`);
  assert.ok(Math.abs(p99 - 250) <= 2.5 + 1e-9, `p99 ${p99}`);

  assert.equal(aggregateOf({ ...h, counts: [0, 0, 0, 0], count: 0, sum: 0 }, 0.01), undefined);
});

test('a histogram whose values are all equal (min = max) gives that value within α', () => {
  const agg = aggregateOf(
    {
      ...base,
      type: 'histogram',
      temporality: 'delta',
      bounds: [0, 5, 10, 25],
      counts: [0, 0, 0, 7, 0],
      count: 7,
      sum: 7 * 17.25,
      min: 17.25,
      max: 17.25,
    },
    0.01,
  )!;
  assert.deepEqual(quantilesOf(agg), { p50: 17.25, p90: 17.25, p99: 17.25 }); // clamped to [min, max]
});

test('attributes are stored with their keys sorted', () => {
  assert.equal(attributesKey({ route: '/cart', code: 200 }), '{"code":200,"route":"/cart"}');
});
