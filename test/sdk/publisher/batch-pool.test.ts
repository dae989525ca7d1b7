// The pool of spare full-size batch buffers: only whole slabs of the right size are kept, up to its limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchPool } from '../../../src/sdk/publisher/batch-pool.ts';

test('keeps whole slabs of its size, up to its limit, and counts their bytes', () => {
  const pool = new BatchPool(1024, 2);
  const a = pool.allocate();
  assert.equal(a.length, 1024);
  assert.equal(pool.spareBytes, 0, 'an allocation is the caller’s to count');
  assert.equal(pool.give(a.subarray(0, 100)), true, 'a sealed batch is a view at the start of its slab');
  assert.equal(pool.give(pool.allocate()), true);
  assert.equal(pool.give(pool.allocate()), false, 'beyond the limit');
  assert.equal(pool.spares, 2);
  assert.equal(pool.spareBytes, 2048);
  const back = pool.take();
  assert.ok(back !== undefined && back.length === 1024);
  assert.equal(pool.spareBytes, 1024);
  pool.clear();
  assert.equal(pool.take(), undefined);
  assert.equal(pool.spareBytes, 0);
});

test('refuses what is not a whole slab: another size, a view inside a larger allocation', () => {
  const pool = new BatchPool(1024, 4);
  assert.equal(pool.give(Buffer.allocUnsafeSlow(512)), false);
  assert.equal(pool.give(Buffer.allocUnsafeSlow(2048).subarray(0, 1024)), false);
  assert.equal(pool.give(Buffer.allocUnsafeSlow(2048).subarray(1024)), false);
  assert.equal(pool.give(Buffer.alloc(1024, 0).subarray(0)), true);
  assert.equal(pool.spares, 1);
});

test('bad sizes are clear errors', () => {
  assert.throws(() => new BatchPool(0, 1), /slabBytes must be a positive integer, got 0/);
  assert.throws(() => new BatchPool(1.5, 1), /slabBytes/);
  assert.throws(() => new BatchPool(1024, -1), /maxSpares must be a non-negative integer, got -1/);
});
