import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeEnvelope, type Envelope } from '../../../src/sdk/telemetry/envelope.ts';
import { TelemetryConfigError, TelemetryValidationError } from '../../../src/sdk/telemetry/errors.ts';
import { GapDetector } from '../../../src/sdk/telemetry/gaps.ts';
import { openTelemetry, type Telemetry } from '../../../src/sdk/telemetry/telemetry.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { fakeFactory, type FakePublisher } from './fake-publisher.ts';

async function setup(extra: { streams?: string[]; onError?: (e: unknown, s: string) => void } = {}) {
  const factory = fakeFactory();
  let now = 1_000;
  const streams = Object.fromEntries((extra.streams ?? ['metrics', 'logs', 'events']).map((s) => [s, {}]));
  const telemetry = await openTelemetry({
    service: 'checkout',
    producerId: 'checkout-test-1',
    streams,
    openPublisher: factory.open,
    exportIntervalMs: 3_600_000, // exported by hand in these tests
    now: () => now,
    onError: extra.onError ?? (() => {}),
  });
  const pub = (s: string) => factory.publishers.get(s)!;
  const decoded = (s: string): Envelope[] => pub(s).records.map((r) => decodeEnvelope(r.value));
  return { telemetry, pub, decoded, advance: (ms: number) => (now += ms) };
}

test('logs and events are enveloped with producer, stream, per-stream sequence and keyed by producer / entity / type', async () => {
  const { telemetry, pub, decoded } = await setup();
  assert.equal(telemetry.logs.info('started', { port: 8080 }), 'accepted');
  telemetry.logs.error('boom');
  telemetry.events.emit('order.placed', { total: 3 }, { key: 'order-17' });
  telemetry.events.emit('deploy', { version: '1.2' });
  const logs = decoded('logs');
  assert.deepEqual(
    logs.map((e) => [e.kind, e.seq, e.stream, e.producer, e.service, e.ts]),
    [
      ['log', 0, 'logs', 'checkout-test-1', 'checkout', 1000],
      ['log', 1, 'logs', 'checkout-test-1', 'checkout', 1000],
    ],
  );
  assert.deepEqual(logs[0].data, { level: 'info', message: 'started', fields: { port: 8080 } });
  assert.deepEqual(logs[1].data, { level: 'error', message: 'boom', fields: {} });
  assert.equal(pub('logs').records[0].key?.toString(), 'checkout-test-1');
  const events = decoded('events');
  assert.deepEqual(
    events.map((e) => [e.seq, e.data]),
    [
      [0, { type: 'order.placed', key: 'order-17', payload: { total: 3 } }],
      [1, { type: 'deploy', payload: { version: '1.2' } }],
    ],
  );
  assert.deepEqual(
    pub('events').records.map((r) => [
      r.key?.toString(),
      r.headers['sluice-seq'].toString(),
      r.headers['content-type'].toString(),
    ]),
    [
      ['order-17', '0', 'application/vnd.sluice.v1+json'],
      ['deploy', '1', 'application/vnd.sluice.v1+json'],
    ],
  );
  await telemetry.close();
});

test('metrics are aggregated in memory and exported as one record per series, keyed by the series', async () => {
  const { telemetry, pub, decoded, advance } = await setup();
  for (let i = 0; i < 1000; i++)
    telemetry.metrics.counter('http.requests', 1, { route: '/a', method: 'GET' });
  telemetry.metrics.gauge('pool.size', 8);
  telemetry.metrics.histogram('http.duration', 12, { route: '/a' }, { unit: 'ms' });
  assert.equal(pub('metrics').records.length, 0, 'nothing leaves before the export');
  advance(500);
  telemetry.exportMetrics();
  const keys = pub('metrics')
    .records.map((r) => r.key?.toString())
    .sort();
  assert.deepEqual(keys, [
    'http.duration{route="/a"}',
    'http.requests{method="GET",route="/a"}',
    'pool.size',
  ]);
  const sum = decoded('metrics').find((e) => e.kind === 'metric' && e.data.type === 'sum')!;
  assert.equal(sum.kind === 'metric' && sum.data.type === 'sum' && sum.data.value, 1000);
  assert.deepEqual(
    decoded('metrics').map((e) => e.seq),
    [0, 1, 2],
  );
  await telemetry.close();
});

test('close exports the last metrics; the export timer runs on its own', async () => {
  const factory = fakeFactory();
  const telemetry = await openTelemetry({
    service: 's',
    streams: { metrics: {} },
    openPublisher: factory.open,
    exportIntervalMs: 20,
  });
  telemetry.metrics.counter('ticks', 1);
  const metrics = factory.publishers.get('metrics')!;
  await waitFor(() => metrics.records.length > 0, { what: 'the interval export' });
  telemetry.metrics.counter('ticks', 2);
  assert.deepEqual(await telemetry.close(), { metrics: { status: 'drained', bufferedRecords: 0 } });
  const values = metrics.records
    .map((r) => decodeEnvelope(r.value))
    .map((e) => (e.data as { value: number }).value);
  assert.equal(
    values.reduce((a, b) => a + b, 0),
    3,
  );
  assert.equal(metrics.closed, true);
  assert.match(telemetry.producerId, /^s-.+-\d+-[0-9a-f]{8}$/);
});

test('bus trouble never reaches the caller: throwing, rejecting, dropping and stuck publishers', async () => {
  const errors: string[] = [];
  const { telemetry, pub } = await setup({ onError: (e, s) => errors.push(`${s}: ${(e as Error).message}`) });
  pub('logs').mode = 'throw';
  assert.equal(telemetry.logs.warn('a'), 'dropped');
  pub('events').mode = 'reject';
  assert.equal(telemetry.events.emit('x', 1), 'blocked');
  await telemetry.events.drained(); // resolves: a rejection is reported, never rethrown
  pub('metrics').mode = 'throw';
  telemetry.metrics.counter('c', 1);
  telemetry.exportMetrics();
  pub('logs').mode = 'drop';
  assert.equal(telemetry.logs.info('b'), 'dropped');
  assert.deepEqual(errors.sort(), [
    'events: bus is down (rejected)',
    'logs: bus is down (thrown)',
    'metrics: bus is down (thrown)',
  ]);
  assert.deepEqual(telemetry.stats(), {
    metrics: { published: 0, droppedByPublisher: 0, failed: 1 },
    logs: { published: 0, droppedByPublisher: 1, failed: 1 },
    events: { published: 0, droppedByPublisher: 0, failed: 1 },
  });
  // a failing flush and a publisher that never settles: flush/close still resolve, within their timeout
  pub('logs').mode = 'reject';
  pub('events').hang = true;
  const failed = { status: 'failed', error: 'flush failed: bus is down', bufferedRecords: 0 };
  assert.deepEqual(await telemetry.flush(50), {
    metrics: failed,
    logs: failed,
    events: { status: 'timed-out', bufferedRecords: 0 },
  });
  pub('metrics').mode = 'accept';
  pub('metrics').leaveOnClose = 4; // gives up without an error: the report says what was lost
  const report = await telemetry.close(50);
  assert.equal(report.events.status, 'timed-out');
  assert.deepEqual(report.metrics, { status: 'incomplete', bufferedRecords: 0, droppedOnClose: 4 });
  assert.equal(await telemetry.close(50), report, 'close is idempotent');
  // after close, calls still do not throw
  assert.equal(telemetry.logs.info('late'), 'dropped');
  telemetry.metrics.counter('c', 1);
});

test('an onError that throws does not escape either', async () => {
  const { telemetry, pub } = await setup({
    onError: () => {
      throw new Error('bad handler');
    },
  });
  pub('logs').mode = 'throw';
  assert.equal(telemetry.logs.info('x'), 'dropped');
  await telemetry.close(50);
});

test('backpressure: a blocking publisher answers blocked; drained() resolves when the records are taken', async () => {
  const { telemetry, pub } = await setup();
  pub('events').mode = 'block';
  assert.equal(telemetry.events.emit('x', { n: 1 }), 'blocked');
  assert.equal(telemetry.events.emit('x', { n: 2 }), 'blocked');
  let done = false;
  void telemetry.events.drained().then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false);
  assert.equal(pub('events').records.length, 0);
  pub('events').unblock();
  await telemetry.events.drained();
  assert.equal(done, true);
  assert.equal(pub('events').records.length, 2);
  assert.equal(telemetry.stats().events.published, 2);
  await telemetry.logs.drained(); // nothing blocked: resolves at once
  await telemetry.close();
});

test('dropped records leave gaps a consumer can count exactly', async () => {
  const { telemetry, pub } = await setup();
  const events = pub('events');
  let dropped = 0;
  for (let i = 0; i < 500; i++) {
    events.mode = i % 7 === 3 ? 'drop' : 'accept';
    if (telemetry.events.emit('tick', i, { key: `k${i % 5}` }) === 'dropped') dropped++;
  }
  telemetry.events.emit('last', null); // so a trailing drop is not at the end
  const detector = new GapDetector();
  for (const record of [...events.records].reverse()) {
    const e = decodeEnvelope(record.value);
    detector.observe(e.producer, e.stream, e.seq);
  }
  assert.ok(dropped > 0);
  assert.equal(detector.missingCount, dropped);
  await telemetry.close();
});

test('invalid input throws TelemetryValidationError at the call site naming the argument', async () => {
  const { telemetry, pub } = await setup();
  const cases: Array<[() => unknown, string]> = [
    [() => telemetry.metrics.counter('bad name', 1), 'name'],
    [() => telemetry.metrics.counter('c', NaN), 'value'],
    [() => telemetry.metrics.counter('c', -1), 'value'],
    [() => telemetry.metrics.gauge('g', Infinity), 'value'],
    [() => telemetry.metrics.histogram('h', 1, { a: {} as unknown as string }), 'attributes.a'],
    [() => telemetry.logs.info(42 as unknown as string), 'message'],
    [() => telemetry.logs.info('m', [] as unknown as Record<string, unknown>), 'fields'],
    [() => telemetry.logs.info('m', { big: 1n }), 'fields.big'],
    [() => telemetry.events.emit('', {}), 'type'],
    [() => telemetry.events.emit('t', { when: new Date() }), 'payload.when'],
    [() => telemetry.events.emit('t', {}, { key: 3 as unknown as string }), 'options.key'],
  ];
  for (const [call, argument] of cases) {
    assert.throws(
      call,
      (e: unknown) => e instanceof TelemetryValidationError && e.argument === argument,
      argument,
    );
  }
  telemetry.exportMetrics();
  assert.equal(pub('metrics').records.length + pub('logs').records.length + pub('events').records.length, 0);
  await telemetry.close();
});

test('user-defined streams, unconfigured streams and bad options', async () => {
  const { telemetry, decoded } = await setup({ streams: ['audit'] });
  telemetry.stream('audit').emit('login', { user: 'u1' }, { key: 'u1' });
  assert.equal(decoded('audit')[0].stream, 'audit');
  assert.throws(() => telemetry.metrics.counter('c', 1), TelemetryConfigError);
  assert.throws(() => telemetry.logs.info('x'), TelemetryConfigError);
  assert.throws(() => telemetry.events.emit('x', 1), TelemetryConfigError);
  assert.throws(() => telemetry.stream('nope').emit('x', 1), /no such stream/);
  await telemetry.close();
  const open = (o: object) =>
    openTelemetry({
      service: 's',
      streams: { metrics: {} },
      openPublisher: fakeFactory().open,
      ...o,
    });
  await assert.rejects(open({ service: '' }), /service must be a non-empty string/);
  await assert.rejects(open({ streams: {} }), /streams must name at least one stream/);
  await assert.rejects(open({ streams: { 'a b': {} } }), /streams.a b is not a valid stream name/);
  await assert.rejects(open({ exportIntervalMs: 0 }), /exportIntervalMs must be a positive integer/);
  await assert.rejects(open({ logLevel: 'trace' }), /logLevel must be one of/);
  await assert.rejects(open({ openPublisher: undefined }), TelemetryConfigError);
});

test('logLevel discards lower levels at the call site; a failing open closes what was opened', async () => {
  const factory = fakeFactory();
  const t: Telemetry = await openTelemetry({
    service: 's',
    streams: { logs: {} },
    openPublisher: factory.open,
    logLevel: 'warn',
  });
  assert.equal(t.logs.debug('d'), 'dropped');
  assert.equal(t.logs.info('i'), 'dropped');
  assert.equal(t.logs.warn('w'), 'accepted');
  assert.equal(factory.publishers.get('logs')!.records.length, 1);
  await t.close();
  const opened: FakePublisher[] = [];
  await assert.rejects(
    openTelemetry({
      service: 's',
      streams: { logs: {}, events: {} },
      openPublisher: async (stream) => {
        if (stream === 'events') throw new Error('bad topic');
        const p = await factory.open(stream);
        opened.push(p);
        return p;
      },
    }),
    /bad topic/,
  );
  assert.equal(opened[0].closed, true);
});
