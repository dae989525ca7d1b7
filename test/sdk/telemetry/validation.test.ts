import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricAggregator } from '../../../src/sdk/telemetry/aggregator.ts';
import { TelemetryValidationError } from '../../../src/sdk/telemetry/errors.ts';
import { SeriesIndex } from '../../../src/sdk/telemetry/series-index.ts';
import { checkJson, checkMetricName } from '../../../src/sdk/telemetry/validate.ts';

function rejects(fn: () => unknown, argument: string, reason: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(
      error instanceof TelemetryValidationError,
      `expected TelemetryValidationError, got ${String(error)}`,
    );
    assert.equal(error.argument, argument);
    assert.match(error.reason, reason);
    assert.ok(error.message.includes(argument), 'the message names the argument');
    return true;
  });
}

test('metric names follow the OpenTelemetry instrument name rules', () => {
  for (const good of ['a', 'http.server.duration', 'queue_depth', 'bytes-in/s', 'A1', 'x'.repeat(255)]) {
    assert.equal(checkMetricName('c', good), good);
  }
  for (const bad of ['', '1abc', '_x', 'has space', 'é', 'a:b', 'x'.repeat(256)]) {
    rejects(() => checkMetricName('c', bad), 'name', /not a valid metric name/);
  }
  rejects(() => checkMetricName('c', 42), 'name', /must be a string, got number 42/);
});

test('measurements: non-finite, non-number and negative counter values are refused naming the argument', () => {
  const agg = new MetricAggregator({ maxSeriesPerMetric: 10, now: 0 });
  rejects(() => agg.record('sum', 'c', NaN, undefined, undefined), 'value', /finite, got NaN/);
  rejects(() => agg.record('gauge', 'g', Infinity, undefined, undefined), 'value', /finite, got Infinity/);
  rejects(() => agg.record('histogram', 'h', -Infinity, undefined, undefined), 'value', /finite/);
  rejects(
    () => agg.record('sum', 'c', '1' as unknown as number, undefined, undefined),
    'value',
    /must be a number, got string/,
  );
  rejects(() => agg.record('sum', 'c', -1, undefined, undefined), 'value', /not be negative for a counter/);
  agg.record('gauge', 'g', -1, undefined, undefined); // gauges and histograms take negatives
  agg.record('histogram', 'h', -1, undefined, undefined);
  rejects(() => agg.record('sum', 'bad name', 1, undefined, undefined), 'name', /not a valid metric name/);
  rejects(() => agg.record('sum', 'g', 1, undefined, undefined), 'name', /already a gauge metric/);
  rejects(() => agg.record('sum', 'u', 1, undefined, { unit: 'ü' }), 'options.unit', /printable ASCII/);
  rejects(
    () => agg.record('histogram', 'b', 1, undefined, { boundaries: [1, 1] }),
    'options.boundaries[1]',
    /greater/,
  );
  rejects(
    () => agg.record('sum', 'b2', 1, undefined, { boundaries: [1] }),
    'options.boundaries',
    /histograms only/,
  );
  // nothing invalid created a series
  assert.deepEqual(
    agg.collect(1).map((p) => p.name),
    ['g', 'h'],
  );
});

test('attributes: string, finite number and boolean values; the series is order-free and type-exact', () => {
  const index = new SeriesIndex<number>();
  const seriesIdentity = (call: string, attributes: unknown) => index.lookup(call, attributes);
  assert.equal(seriesIdentity('c', { b: 1, a: 'x' }), seriesIdentity('c', { a: 'x', b: 1 }));
  assert.notEqual(seriesIdentity('c', { a: '1' }), seriesIdentity('c', { a: 1 }));
  assert.notEqual(seriesIdentity('c', { a: 'true' }), seriesIdentity('c', { a: true }));
  assert.equal(seriesIdentity('c', undefined), index.root);
  assert.equal(
    seriesIdentity('c', { b: 1, a: 'x', c: true }),
    seriesIdentity('c', { c: true, a: 'x', b: 1 }),
  );
  assert.notEqual(seriesIdentity('c', { a: 'x' }), seriesIdentity('c', { a: 'x', b: 1 }));
  rejects(() => seriesIdentity('c', { route: NaN }), 'attributes.route', /finite/);
  rejects(
    () => seriesIdentity('c', { tags: ['a'] }),
    'attributes.tags',
    /string, number or boolean, got an array/,
  );
  rejects(() => seriesIdentity('c', { when: new Date(0) }), 'attributes.when', /got a Date/);
  rejects(() => seriesIdentity('c', { n: null }), 'attributes.n', /got null/);
  rejects(() => seriesIdentity('c', 'route=/'), 'attributes', /must be an object, got string/);
  rejects(() => seriesIdentity('c', { '': 1 }), 'attributes', /empty key/);
  // a rejected call leaves nothing behind; removing a series prunes its branch
  const fresh = new SeriesIndex<number>();
  assert.throws(() => fresh.lookup('c', { a: 1, b: NaN }));
  assert.equal(fresh.root.next === undefined, true);
  const node = fresh.lookup('c', { a: 1, b: 2 });
  node.series = 1;
  const sibling = fresh.lookup('c', { a: 1 });
  sibling.series = 2;
  fresh.remove(node);
  assert.equal(fresh.lookup('c', { a: 1 }).series, 2, 'the sibling on the path stays');
  fresh.remove(sibling);
  assert.equal(fresh.root.next?.size, 0);
});

test('payloads must survive a JSON round trip unchanged; the path of the bad part is named', () => {
  const good = { a: [1, 'two', true, null, { b: { c: -0.5 } }], e: {} };
  assert.equal(checkJson('e', 'payload', good), good);
  const cyclic: Record<string, unknown> = { x: 1 };
  cyclic.self = cyclic;
  rejects(() => checkJson('e', 'payload', cyclic), 'payload.self', /circular/);
  rejects(() => checkJson('e', 'payload', { a: [1, undefined] }), 'payload.a[1]', /undefined/);
  rejects(() => checkJson('e', 'payload', { n: 10n }), 'payload.n', /bigint 10/);
  rejects(() => checkJson('e', 'payload', { f: () => 1 }), 'payload.f', /function/);
  rejects(() => checkJson('e', 'payload', { d: new Date(0) }), 'payload.d', /plain object, got a Date/);
  rejects(() => checkJson('e', 'payload', { m: new Map() }), 'payload.m', /got a Map/);
  rejects(() => checkJson('e', 'payload', { x: NaN }), 'payload.x', /finite/);
  let deep: unknown = 1;
  for (let i = 0; i < 70; i++) deep = [deep];
  rejects(() => checkJson('e', 'payload', deep), `payload${'[0]'.repeat(64)}`, /deeper than 64/);
  // shared (non-circular) references are fine
  const shared = { s: 1 };
  checkJson('e', 'payload', { a: shared, b: shared });
});

test('valid payloads are answered by the quick walk, bad ones still say where and why', () => {
  // Exactly 64 levels deep is fine; a cycle below the top and inside an array is still a cycle, not "too deep".
  let deep: unknown = 'leaf';
  for (let i = 0; i < 63; i++) deep = { d: deep };
  checkJson('e', 'payload', deep);
  const inner: Record<string, unknown> = { v: 1 };
  inner.back = [inner];
  rejects(() => checkJson('e', 'payload', { top: { inner } }), 'payload.top.inner.back[0]', /circular/);
  const holey: number[] = [];
  holey[0] = 1;
  holey[2] = 3; // a hole at 1
  rejects(() => checkJson('e', 'payload', holey), 'payload[1]', /undefined/);
  rejects(() => checkJson('e', 'payload', { s: Symbol('x') }), 'payload.s', /symbol/);
  rejects(() => checkJson('e', 'payload', { toJSON: () => 'x' }), 'payload.toJSON', /function/);
  rejects(() => checkJson('e', 'payload', { b: Buffer.from('x') }), 'payload.b', /got a Buffer/);
  rejects(() => checkJson('e', 'payload', { big: Infinity }), 'payload.big', /finite, got Infinity/);
  const bare = Object.create(null) as Record<string, unknown>;
  bare.x = [1, { y: 'z' }];
  assert.equal(checkJson('e', 'payload', bare), bare);
  // The path of a key needing quotes in JSON is built only when something is wrong: still the same path.
  rejects(
    () => checkJson('e', 'payload', { 'a b': { 'c.d': [undefined] } }),
    'payload.a b.c.d[0]',
    /undefined/,
  );
});
