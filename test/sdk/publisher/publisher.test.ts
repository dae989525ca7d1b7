// The publisher around its buffer: batching (linger, max batch bytes), the breaker driven by real sends
// (probes carry the oldest buffered batch; transitions logged and exported), a bus unreachable at boot, a
// hanging bus, and typed errors for bad input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Publisher } from '../../../src/sdk/publisher/publisher.ts';
import { PublisherOptionsError, RecordTooLargeError } from '../../../src/sdk/publisher/errors.ts';
import { FakeBus } from './fakes.ts';
import { batchOf, rec, recover, rig, until, valueOf } from './helpers.ts';

test('linger: records wait lingerMs, then go out as one send', async () => {
  const r = await rig({
    lingerMs: 50,
    maxBatchBytes: 1000,
    buffer: { kind: 'memory', maxBytes: 5000, whenFull: 'block' },
  });
  for (let i = 0; i < 5; i++) void r.publisher.publish(rec(i));
  r.clock.advance(49);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(r.bus.attempts.length, 0);
  r.clock.advance(1);
  await until(() => r.bus.delivered.length === 5, 'the batch');
  assert.deepEqual(
    r.bus.attempts.map((a) => a.length),
    [5],
  );
  assert.equal(r.bus.attempts[0][0].topic, 't');
  await r.publisher.close(1000);
});

test('maxBatchBytes: a batch is sealed when full, without waiting for linger', async () => {
  const r = await rig({
    lingerMs: 60_000,
    maxBatchBytes: batchOf(3),
    buffer: { kind: 'memory', maxBytes: 5000, whenFull: 'block' },
  });
  for (let i = 0; i < 7; i++) void r.publisher.publish(rec(i));
  await until(() => r.bus.delivered.length === 6, 'two full batches');
  assert.deepEqual(
    r.bus.attempts.map((a) => a.length),
    [3, 3],
  );
  await r.publisher.flush(1000); // seals the 7th
  assert.deepEqual(
    r.bus.attempts.map((a) => a.length),
    [3, 3, 1],
  );
  assert.deepEqual(r.bus.delivered.map(valueOf), ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
  await r.publisher.close(1000);
});

test('flapping bus: probes are the oldest real batch, back-off grows, every transition logged and exported', async () => {
  const r = await rig({ buffer: { kind: 'memory', maxBytes: 5000, whenFull: 'block' } });
  r.bus.mode = 'down';
  for (let i = 0; i < 3; i++) void r.publisher.publish(rec(i));
  await until(() => r.publisher.state.breaker === 'open', 'open');
  assert.equal(r.bus.attempts.length, 3);
  // Two failed probes: the back-off doubles (1000, then 2000, then 4000 = the cap).
  r.clock.advance(999);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(r.bus.attempts.length, 3, 'no probe before the back-off');
  r.clock.advance(1);
  await until(() => r.bus.attempts.length === 4, 'probe 1');
  r.clock.advance(1999);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(r.bus.attempts.length, 4);
  r.clock.advance(1);
  await until(() => r.bus.attempts.length === 5, 'probe 2');
  assert.ok(
    r.bus.attempts.every((a) => valueOf(a[0]) === 'v0'),
    'every attempt and probe carried v0',
  );
  await until(() => r.publisher.state.breaker === 'open', 'open again');
  r.bus.mode = 'up';
  r.clock.advance(4000);
  await until(() => r.bus.delivered.length === 3, 'drained');
  assert.equal(r.publisher.state.breaker, 'closed');
  const moves = r
    .logLines()
    .filter((l) => l.msg.startsWith('circuit breaker'))
    .map((l) => `${l.from}>${l.to}`);
  assert.deepEqual(moves, [
    'closed>open',
    'open>half-open',
    'half-open>open',
    'open>half-open',
    'half-open>open',
    'open>half-open',
    'half-open>closed',
  ]);
  const transitions = await r.registry.getSingleMetric('sluice_publisher_breaker_transitions_total')!.get();
  const count = (from: string, to: string) =>
    transitions.values.find((v) => v.labels.from === from && v.labels.to === to)?.value;
  assert.equal(count('closed', 'open'), 1);
  assert.equal(count('half-open', 'open'), 2);
  assert.equal(count('open', 'half-open'), 3);
  assert.equal(count('half-open', 'closed'), 1);
  const state = await r.registry.getSingleMetric('sluice_publisher_breaker_state')!.get();
  assert.equal(state.values[0].value, 0);
  await r.publisher.close(1000);
});

test('starts and buffers while the bus is unreachable at boot', async () => {
  const bus = new FakeBus();
  bus.failCreate = true;
  const r = await rig({ buffer: { kind: 'memory', maxBytes: 5000, whenFull: 'drop_newest' } }, bus);
  for (let i = 0; i < 5; i++) assert.equal(r.publisher.publish(rec(i)), 'accepted');
  await until(() => r.publisher.state.breaker === 'open', 'open');
  r.bus.failCreate = false;
  await recover(r);
  assert.deepEqual(r.bus.delivered.map(valueOf), ['v0', 'v1', 'v2', 'v3', 'v4']);
  await r.publisher.close(1000);
});

test('a hanging send times out, counts as a failure and the producer is replaced', async () => {
  const r = await rig({ sendTimeoutMs: 500 });
  r.bus.mode = 'hang';
  void r.publisher.publish(rec(0));
  await until(() => r.bus.attempts.length === 1, 'in flight');
  r.bus.mode = 'up';
  r.clock.advance(500);
  await until(() => r.bus.delivered.length === 1, 'the retry');
  assert.equal(r.bus.producersMade, 2);
  assert.equal(r.bus.producersClosed, 1);
  await r.publisher.close(1000);
});

test('bad options and oversized records are typed errors', async () => {
  const r = await rig();
  assert.throws(
    () => r.publisher.publish({ key: null, value: Buffer.alloc(200), headers: {} }),
    RecordTooLargeError,
  );
  await r.publisher.close(1000);
  const base = {
    stream: 's',
    bus: { bootstrap: ['h:1'] },
    topic: 't',
    acks: -1,
    idempotent: true,
    lingerMs: 5,
    maxBatchBytes: 100,
  } as const;
  const breaker = {
    consecutiveFailures: 3,
    failureRatio: 0.5,
    windowMs: 1000,
    minThroughput: 5,
    halfOpenAfterMs: 100,
    maxHalfOpenAfterMs: 1000,
    closeAfterSuccesses: 1,
  };
  const buffer = { kind: 'memory', maxBytes: 1000, whenFull: 'block' } as const;
  const bad: [string, object][] = [
    ['stream', { stream: '' }],
    ['acks', { acks: 2 }],
    ['idempotent', { acks: 1 }],
    ['lingerMs', { lingerMs: -1 }],
    ['failureRatio', { breaker: { ...breaker, failureRatio: 1.5 } }],
    ['maxHalfOpenAfterMs', { breaker: { ...breaker, maxHalfOpenAfterMs: 50 } }],
    ['whenFull', { buffer: { ...buffer, whenFull: 'spill' } }],
    ['2 × maxBatchBytes', { buffer: { ...buffer, maxBytes: 150 } }],
    ['buffer.dir', { buffer: { ...buffer, kind: 'disk' } }],
  ];
  for (const [what, patch] of bad) {
    await assert.rejects(
      Publisher.open({ ...base, breaker, buffer, ...patch } as never),
      (err: Error) => err instanceof PublisherOptionsError && err.message.includes(what),
      what,
    );
  }
});
