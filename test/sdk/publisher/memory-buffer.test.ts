// The memory buffer's whenFull policies under an outage: exact drop counts, exactly which records survive,
// and backpressure for 'block'. One record per batch; the buffer holds 10 such batches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchOf, rec, recover, rig, until, valueOf } from './helpers.ts';

const names = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => `v${from + i}`);

async function outage(whenFull: 'drop_newest' | 'drop_oldest' | 'block') {
  const r = await rig({ buffer: { kind: 'memory', maxBytes: 10 * batchOf(1), whenFull } });
  r.bus.mode = 'down';
  assert.equal(r.publisher.publish(rec(0)), 'accepted');
  // Three failed sends of v0 open the breaker; with the clock held, nothing is in flight after that.
  await until(() => r.publisher.state.breaker === 'open', 'the breaker to open');
  return r;
}

test('drop_newest keeps the oldest: 25 published into room for 10 → 15 dropped, v0..v9 delivered', async () => {
  const r = await outage('drop_newest');
  const results = [];
  for (let i = 1; i < 25; i++) results.push(r.publisher.publish(rec(i)));
  assert.equal(results.filter((x) => x === 'dropped').length, 15);
  assert.deepEqual(r.publisher.state.dropped, { drop_newest: 15 });
  assert.equal(r.publisher.state.bufferedRecords, 10);
  const metric = await r.registry.getSingleMetric('sluice_publisher_dropped_total')!.get();
  assert.deepEqual(
    metric.values.map((v) => [v.labels, v.value]),
    [[{ stream: 'test', reason: 'drop_newest' }, 15]],
  );
  await recover(r);
  assert.deepEqual(r.bus.delivered.map(valueOf), names(0, 10));
  await r.publisher.close(1000);
});

test('drop_oldest keeps the newest: 25 published → 15 dropped, v15..v24 delivered in order', async () => {
  const r = await outage('drop_oldest');
  for (let i = 1; i < 25; i++) assert.equal(r.publisher.publish(rec(i)), 'accepted');
  assert.deepEqual(r.publisher.state.dropped, { drop_oldest: 15 });
  await recover(r);
  assert.deepEqual(r.bus.delivered.map(valueOf), names(15, 25));
  await r.publisher.close(1000);
});

test('drop_oldest never drops the batch in flight: it is delivered, then the newest', async () => {
  const r = await rig({ buffer: { kind: 'memory', maxBytes: 10 * batchOf(1), whenFull: 'drop_oldest' } });
  r.bus.mode = 'hang';
  void r.publisher.publish(rec(0));
  await until(() => r.bus.attempts.length === 1, 'v0 to be in flight');
  for (let i = 1; i < 25; i++) void r.publisher.publish(rec(i));
  assert.deepEqual(r.publisher.state.dropped, { drop_oldest: 15 }); // v1..v15 went; v0 is in flight
  r.bus.mode = 'up';
  r.clock.advance(30_000); // the hung send times out (2 × the default request time-out is below this)
  await recover(r);
  assert.deepEqual(r.bus.delivered.map(valueOf), ['v0', ...names(16, 25)]);
  await r.publisher.close(1000);
});

test('block: the caller gets a promise when full, nothing is dropped, order is kept', async () => {
  const r = await outage('block');
  const results = [];
  for (let i = 1; i < 25; i++) results.push(r.publisher.publish(rec(i)));
  assert.equal(results.filter((x) => x === 'accepted').length, 9);
  const pending = results.filter((x) => x instanceof Promise);
  assert.equal(pending.length, 15);
  let settled = 0;
  for (const p of pending) void p.then(() => settled++);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, 0, 'no room while the bus is down');
  await recover(r);
  await Promise.all(pending);
  assert.equal(settled, 15);
  assert.deepEqual(r.publisher.state.dropped, {});
  assert.deepEqual(r.bus.delivered.map(valueOf), names(0, 25));
  await r.publisher.close(1000);
});

test('close with the bus down counts what a memory buffer loses, reason closed', async () => {
  const r = await outage('block');
  for (let i = 1; i < 12; i++) void r.publisher.publish(rec(i));
  const closing = r.publisher.close(5000);
  await until(() => r.publisher.state.bufferedRecords === 10, 'close to start');
  r.clock.advance(5000);
  await closing;
  assert.deepEqual(r.publisher.state.dropped, { closed: 12 });
  assert.equal(r.publisher.publish(rec(99)), 'dropped');
  assert.deepEqual(r.publisher.state.dropped, { closed: 13 });
});
