import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HistogramPoint } from '../../../src/sdk/index.ts';
import { quantile, toEntry } from '../../../src/services/dashboard/entries.ts';
import { parseWindow } from '../../../src/services/dashboard/history.ts';
import { sumSamples } from '../../../src/services/dashboard/prometheus-text.ts';

const base = { v: 1 as const, service: 'web', producer: 'web-1', stream: 'metrics', seq: 0, ts: 10_000 };
const at = { stream: 'metrics', partition: 2, offset: 17 };

test('a counter point becomes a rate per second; the series includes the service', () => {
  const entry = toEntry(
    {
      ...base,
      kind: 'metric',
      data: {
        name: 'http.server.requests',
        attributes: { route: '/cart' },
        startTs: 8000,
        ts: 10_000,
        type: 'sum',
        temporality: 'delta',
        monotonic: true,
        value: 50,
      },
    },
    at,
  );
  assert.equal(entry.kind, 'metric');
  if (entry.kind !== 'metric') return;
  assert.equal(entry.series, 'http.server.requests{route="/cart",service="web"}');
  assert.deepEqual(entry.values, { rate: 25, value: 50 });
  assert.equal(entry.partition, 2);
  assert.equal(entry.offset, 17);
});

test('histogram quantiles interpolate within the bucket and stay within min and max', () => {
  const point: HistogramPoint = {
    name: 'd',
    attributes: {},
    startTs: 0,
    ts: 1000,
    type: 'histogram',
    temporality: 'delta',
    bounds: [10, 20, 50],
    counts: [0, 10, 10, 0],
    count: 20,
    sum: 500,
    min: 12,
    max: 45,
  };
  assert.equal(quantile(point, 0.5), 20);
  assert.equal(quantile(point, 0.25), 16);
  assert.equal(quantile(point, 1), 45);
  const entry = toEntry({ ...base, kind: 'metric', data: point }, at);
  assert.ok(entry.kind === 'metric');
  assert.equal(entry.values.mean, 25);
  assert.equal(entry.values.p50, 20);
});

test('logs and events keep what the page shows', () => {
  const log = toEntry(
    { ...base, kind: 'log', stream: 'logs', data: { level: 'warn', message: 'slow', fields: {} } },
    at,
  );
  assert.deepEqual(log, { kind: 'log', ...at, t: 10_000, service: 'web', level: 'warn', message: 'slow' });
  const event = toEntry({ ...base, kind: 'event', data: { type: 'order.placed', payload: null } }, at);
  assert.deepEqual(event, { kind: 'event', ...at, t: 10_000, service: 'web', type: 'order.placed' });
});

test('history windows: seconds by default, units s m h d; anything else is refused naming the parameter', () => {
  assert.equal(parseWindow(null, 5), 5);
  assert.equal(parseWindow('90', 5), 90_000);
  assert.equal(parseWindow('5m', 5), 300_000);
  assert.equal(parseWindow('2h', 5), 7_200_000);
  for (const bad of ['0', '-5', '5 m', 'soon', '5w']) {
    assert.throws(() => parseWindow(bad, 5), new RegExp(`parameter 'window'.*got '${bad}'`));
  }
});

test('Prometheus text: samples of a metric are summed over their labels', () => {
  const sums = sumSamples(
    '# HELP x y\n# TYPE a counter\na_total 3\nb{p="0"} 2\nb{p="1",q="x y"} 5\nbad line\nc NaN\n',
  );
  assert.equal(sums.get('a_total'), 3);
  assert.equal(sums.get('b'), 7);
  assert.equal(sums.has('c'), false);
});
