import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FramePool, MIN_POOLED_BYTES } from '../../../src/broker/server/frame-pool.ts';

const KiB = 1024;

test('a buffer given back is lent again for a frame it holds, and only once', () => {
  const pool = new FramePool();
  const first = pool.take(300 * KiB);
  assert.equal(first.length, 300 * KiB);
  pool.give(first);
  assert.equal(pool.idleBytes, 320 * KiB, 'rounded up to 64 KiB');
  const second = pool.take(310 * KiB);
  assert.equal(second.length, 310 * KiB);
  assert.equal(second.buffer, first.buffer, 'same memory reused');
  assert.equal(pool.idleBytes, 0);
  const third = pool.take(310 * KiB);
  assert.notEqual(third.buffer, second.buffer, 'a lent buffer is never lent twice');
});

test('give ignores buffers the pool did not lend and buffers given back twice', () => {
  const pool = new FramePool();
  pool.give(Buffer.allocUnsafeSlow(256 * KiB));
  assert.equal(pool.idleBytes, 0);
  const b = pool.take(256 * KiB);
  pool.give(b);
  pool.give(b);
  assert.equal(pool.idleBytes, 256 * KiB);
  const again = pool.take(256 * KiB);
  assert.equal(again.buffer, b.buffer);
  assert.notEqual(pool.take(256 * KiB).buffer, b.buffer, 'the double give did not make a second copy');
});

test('a small frame does not take a buffer more than twice its size', () => {
  const pool = new FramePool();
  const big = pool.take(1024 * KiB);
  pool.give(big);
  const small = pool.take(100 * KiB);
  assert.notEqual(small.buffer, big.buffer);
  assert.equal(pool.idleBytes, 1024 * KiB, 'the big one stays for a big frame');
  assert.equal(pool.take(600 * KiB).buffer, big.buffer);
});

test('frames outside the pooled range get buffers of their own, never kept', () => {
  const pool = new FramePool({ maxPooledBytes: 1024 * KiB });
  for (const n of [1, MIN_POOLED_BYTES - 1, 1024 * KiB + 1]) {
    const b = pool.take(n);
    assert.equal(b.length, n);
    pool.give(b);
    assert.equal(pool.idleBytes, 0, `${n} bytes`);
  }
});

test('idle memory is capped: buffers given back beyond maxIdleBytes are dropped', () => {
  const pool = new FramePool({ maxIdleBytes: 512 * KiB });
  const lent = [pool.take(256 * KiB), pool.take(256 * KiB), pool.take(256 * KiB)];
  for (const b of lent) pool.give(b);
  assert.equal(pool.idleBytes, 512 * KiB);
});

test('bad options are refused with what was wrong', () => {
  assert.throws(() => new FramePool({ maxPooledBytes: 1000 }), /maxPooledBytes must be an integer >= 65536/);
  assert.throws(() => new FramePool({ maxIdleBytes: -1 }), /maxIdleBytes must be an integer >= 0, got -1/);
  assert.throws(() => new FramePool({ maxIdleBytes: 1.5 }), /maxIdleBytes/);
});
