// The publisher's batch buffers under load: full-size batches are filled in the same few buffers again
// (acknowledged, evicted or copied-out ones come back as spares), the publisher's own count never exceeds
// buffer.maxBytes, drops stay exact, and a low-rate outage still holds many small batches.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeRecords } from '../../../src/protocol/record-batch.ts';
import type { BusProducer, SealedBatch } from '../../../src/sdk/kafka-client.ts';
import type { BusMode } from './fakes.ts';
import { batchOf, rec, recover, rig, until, type Rig } from './helpers.ts';

/** A bus taking sealed batches: what it acknowledged (decoded at once) and every buffer it was handed. */
function slabBus() {
  const bus = {
    mode: 'up' as BusMode,
    delivered: [] as string[],
    buffers: new Set<ArrayBufferLike>(),
    sends: 0,
    transport: (): BusProducer => ({
      send: () => Promise.reject(new Error('records are sent as batches here')),
      sendBatch: (_topic: string, batch: SealedBatch) => {
        bus.sends++;
        bus.buffers.add(batch.bytes.buffer);
        if (bus.mode === 'down') return Promise.reject(new Error('bus down'));
        if (bus.mode === 'hang') return new Promise<void>(() => {});
        for (const r of decodeRecords(batch.bytes)) bus.delivered.push(r.value!.toString().trim());
        return Promise.resolve();
      },
      partitions: () => Promise.resolve(1),
      knownPartitions: () => 1,
      close: () => Promise.resolve(),
    }),
  };
  return bus;
}

const SLAB = batchOf(4);
const names = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => `v${from + i}`);

/** Publishes v<from>..v<to-1>, checking the publisher's count against maxBytes after every call. */
function publishAll(r: Rig, from: number, to: number, maxBytes: number) {
  const results = [];
  for (let i = from; i < to; i++) {
    results.push(r.publisher.publish(rec(i)));
    assert.ok(
      r.publisher.state.bufferedBytes <= maxBytes,
      `held ${r.publisher.state.bufferedBytes} > ${maxBytes}`,
    );
  }
  return results;
}

test('block under load: 100 full batches through a buffer of 4 are written into a few buffers, in order', async () => {
  const bus = slabBus();
  const maxBytes = 4 * SLAB;
  const r = await rig({
    maxBatchBytes: SLAB,
    lingerMs: 60_000,
    buffer: { kind: 'memory', maxBytes, whenFull: 'block' },
    transport: bus.transport,
  });
  for (let i = 0; i < 400; i++) {
    const result = r.publisher.publish(rec(i));
    assert.ok(r.publisher.state.bufferedBytes <= maxBytes);
    if (result instanceof Promise) await result;
  }
  await r.publisher.flush(1000);
  assert.deepEqual(bus.delivered, names(0, 400));
  assert.equal(bus.sends, 100);
  // Without spares every batch would have had a buffer of its own (100); the buffer holds 4 at most, and
  // a spare is dropped only when it has no room, so a handful serve all.
  assert.ok(bus.buffers.size <= 6, `${bus.buffers.size} distinct batch buffers`);
  assert.deepEqual(r.publisher.state.dropped, {});
  await r.publisher.close(1000);
});

test('drop_newest with full-size batches: what is missing equals the count, the oldest are kept', async () => {
  const bus = slabBus();
  const maxBytes = 3 * SLAB + 100; // room for 3 full batches, and part of a 4th
  const r = await rig({
    maxBatchBytes: SLAB,
    lingerMs: 60_000,
    buffer: { kind: 'memory', maxBytes, whenFull: 'drop_newest' },
    transport: bus.transport,
  });
  bus.mode = 'down';
  const results = publishAll(r, 0, 40, maxBytes);
  const dropped = results.filter((x) => x === 'dropped').length;
  const accepted = results.filter((x) => x === 'accepted').length;
  assert.equal(accepted + dropped, 40);
  assert.ok(accepted >= 12, `${accepted} accepted: three full batches fit`);
  assert.deepEqual(r.publisher.state.dropped, { drop_newest: dropped });
  bus.mode = 'up';
  await r.publisher.flush(1000).catch(() => undefined);
  await until(() => {
    r.clock.advance(1000);
    return r.publisher.state.bufferedRecords === 0;
  }, 'the buffer to drain');
  assert.deepEqual(bus.delivered, names(0, accepted));
  await r.publisher.close(1000);
});

test('drop_oldest with full-size batches: the newest kept, drops exact, evicted buffers filled again', async () => {
  const bus = slabBus();
  const maxBytes = 3 * SLAB;
  const r = await rig({
    maxBatchBytes: SLAB,
    lingerMs: 60_000,
    buffer: { kind: 'memory', maxBytes, whenFull: 'drop_oldest' },
    transport: bus.transport,
  });
  bus.mode = 'hang';
  void r.publisher.publish(rec(0));
  await r.publisher.whenBuffered();
  await until(() => bus.sends === 1, 'v0 to be in flight');
  const results = publishAll(r, 1, 200, maxBytes);
  assert.ok(results.every((x) => x === 'accepted'));
  const dropped = r.publisher.state.dropped.drop_oldest ?? 0;
  const kept = r.publisher.state.bufferedRecords;
  assert.equal(1 + 199, dropped + kept);
  bus.mode = 'up';
  r.clock.advance(30_000); // the hung send times out
  await recover(r);
  await r.publisher.flush(1000);
  // v0 was in flight (never evicted); the rest delivered are the newest, in order.
  assert.deepEqual(bus.delivered, ['v0', ...names(200 - (kept - 1), 200)]);
  assert.ok(bus.buffers.size <= 6, `${bus.buffers.size} distinct batch buffers`);
  await r.publisher.close(1000);
});

test('a low-rate outage holds many small batches: each counted at its own size, not a full buffer', async () => {
  const bus = slabBus();
  const maxBatchBytes = batchOf(40);
  const maxBytes = 2 * maxBatchBytes; // two full batches, or ~49 of one record each
  const r = await rig({
    maxBatchBytes,
    lingerMs: 5,
    buffer: { kind: 'memory', maxBytes, whenFull: 'drop_newest' },
    transport: bus.transport,
  });
  bus.mode = 'down';
  for (let i = 0; i < 45; i++) {
    assert.equal(r.publisher.publish(rec(i)), 'accepted', `v${i}`);
    r.clock.advance(5); // the linger seals a batch of one record
    assert.ok(r.publisher.state.bufferedBytes <= maxBytes);
  }
  assert.equal(r.publisher.state.bufferedRecords, 45);
  assert.deepEqual(r.publisher.state.dropped, {});
  bus.mode = 'up';
  await recover(r);
  assert.deepEqual(bus.delivered, names(0, 45));
  await r.publisher.close(1000);
});

test('a disk buffer under load fills the same few buffers again once the log has written them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-spares-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bus = slabBus();
  const r = await rig({
    maxBatchBytes: SLAB,
    lingerMs: 60_000,
    buffer: { kind: 'disk', dir, maxBytes: 1 << 20, whenFull: 'block', durability: { mode: 'none' } },
    transport: bus.transport,
  });
  // Full-size buffers allocated while 100 full batches go through (counted, then the original restored).
  const original = Buffer.allocUnsafeSlow.bind(Buffer);
  let slabs = 0;
  Buffer.allocUnsafeSlow = (size: number) => {
    if (size === SLAB) slabs++;
    return original(size);
  };
  try {
    for (let i = 0; i < 400; i++) {
      const result = r.publisher.publish(rec(i));
      if (result instanceof Promise) await result;
      if (i % 4 === 3) await r.publisher.whenBuffered(); // written: its buffer is free again
    }
  } finally {
    Buffer.allocUnsafeSlow = original;
  }
  await r.publisher.flush(5000);
  assert.deepEqual(bus.delivered, names(0, 400));
  assert.ok(slabs <= 3, `${slabs} full-size buffers allocated for 100 batches`);
  await r.publisher.close(1000);
});
