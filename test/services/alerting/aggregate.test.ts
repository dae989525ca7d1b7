import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregate, sampleOf } from '../../../src/services/alerting/aggregate.ts';
import type { MetricPoint } from '../../../src/sdk/index.ts';

const base = { attributes: {}, startTs: 0 };
const hist = (ts: number, counts: number[], min: number, max: number, sum: number): MetricPoint => ({
  ...base,
  name: 'd',
  ts,
  type: 'histogram',
  temporality: 'delta',
  bounds: [10, 20, 30],
  counts,
  count: counts.reduce((a, b) => a + b, 0),
  sum,
  min,
  max,
});
const sum = (ts: number, value: number): MetricPoint => ({
  ...base,
  name: 'c',
  ts,
  type: 'sum',
  temporality: 'delta',
  monotonic: true,
  value,
});
const gauge = (ts: number, value: number): MetricPoint => ({ ...base, name: 'g', ts, type: 'gauge', value });

test('quantiles merge histogram buckets and interpolate inside the bucket, clamped to min/max', () => {
  const one = [sampleOf(hist(1, [0, 10, 0, 0], 12, 18, 150))];
  assert.equal(aggregate('p50', one, 10_000), 15);
  assert.equal(aggregate('p99', one, 10_000), 17.94);
  const two = [...one, sampleOf(hist(2, [0, 0, 10, 0], 22, 28, 250))];
  assert.equal(aggregate('p50', two, 10_000), 20);
  assert.ok(Math.abs(aggregate('p99', two, 10_000)! - 27.84) < 1e-9);
  assert.equal(aggregate('avg', two, 10_000), 20);
  assert.equal(aggregate('count', two, 10_000), 20);
  assert.equal(aggregate('min', two, 10_000), 12);
  assert.equal(aggregate('max', two, 10_000), 28);
  assert.equal(aggregate('rate', two, 10_000), 2); // 20 observations in 10 s
  assert.equal(aggregate('p99', [sampleOf(sum(1, 5))], 10_000), undefined); // no histogram to read
});

test('sum, rate, last and avg over counters and gauges; nothing to aggregate gives undefined', () => {
  const counters = [sampleOf(sum(1, 10)), sampleOf(sum(2, 20))];
  assert.equal(aggregate('sum', counters, 10_000), 30);
  assert.equal(aggregate('rate', counters, 10_000), 3);
  const gauges = [sampleOf(gauge(2, 7)), sampleOf(gauge(1, 3))];
  assert.equal(aggregate('last', gauges, 10_000), 7);
  assert.equal(aggregate('avg', gauges, 10_000), 5);
  assert.equal(aggregate('max', [], 10_000), undefined);
});
