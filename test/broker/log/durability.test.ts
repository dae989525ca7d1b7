// Durability modes: group commit, the high watermark in fsync mode, failed writes and fsyncs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaultFs } from '../../../src/broker/log/fault-fs.ts';
import { PartitionLog } from '../../../src/broker/log/partition-log.ts';
import type { AppendResult } from '../../../src/broker/log/partition-log.ts';
import { LogClosedError, StorageError } from '../../../src/broker/log/errors.ts';
import { batch, batchesOf, partitionDir, tempDir, waitUntil } from './helpers.ts';

test('group commit: concurrent appends in fsync mode share fsyncs', async (t) => {
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, partitionDir(await tempDir(t)), { durability: { mode: 'fsync' } });
  t.after(() => log.close());
  const before = ffs.count('sync', /\.log$/);
  const producers = Array.from({ length: 8 }, async (_, p) => {
    for (let i = 0; i < 25; i++) await log.append(batch(`p${p}-${i}`));
  });
  await Promise.all(producers);
  const syncs = ffs.count('sync', /\.log$/) - before;
  assert.equal(log.highWatermark, 200n);
  assert.ok(syncs < 200 / 2, `${syncs} fsyncs for 200 appends`);
  t.diagnostic(`${syncs} fsyncs for 200 appends from 8 producers`);
  assert.equal(log.syncCount, syncs);
});

test('fsync mode: the high watermark never passes unsynced data, and moves once the fsync returns', async (t) => {
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, partitionDir(await tempDir(t)), { durability: { mode: 'fsync' } });
  t.after(() => log.close());
  await log.append(batch('first'));
  const wakeups: bigint[] = [];
  log.onHighWatermark((hwm) => wakeups.push(hwm));
  const release = ffs.hold('sync');
  const writesBefore = ffs.count('write');
  let resolved = false;
  const pending = log.append(batch('second', 3)).then((r) => {
    resolved = true;
    return r;
  });
  await waitUntil(
    () => ffs.count('write') > writesBefore && ffs.count('sync') > 0,
    'the write and a held fsync',
  );
  assert.equal(log.logEndOffset, 4n);
  assert.equal(log.highWatermark, 1n);
  assert.equal(resolved, false);
  assert.equal((await log.read(1n, 1 << 20)).records.length, 0, 'nothing past the high watermark is read');
  release();
  assert.deepEqual(await pending, { baseOffset: 1n, lastOffset: 3n, logAppendTime: -1n });
  assert.equal(log.highWatermark, 4n);
  assert.deepEqual(wakeups, [4n]);
});

test('none mode: visible as soon as written, no fsync per append; flush syncs', async (t) => {
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, partitionDir(await tempDir(t)), { durability: { mode: 'none' } });
  t.after(() => log.close());
  const syncsAtOpen = ffs.count('sync', /\.log$/);
  for (let i = 0; i < 20; i++) await log.append(batch(`n${i}`));
  assert.equal(log.highWatermark, 20n);
  assert.equal(ffs.count('sync', /\.log$/), syncsAtOpen);
  await log.flush();
  assert.equal(ffs.count('sync', /\.log$/), syncsAtOpen + 1);
});

test('interval mode fsyncs on a timer', async (t) => {
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, partitionDir(await tempDir(t)), {
    durability: { mode: 'interval', intervalMs: 5 },
  });
  t.after(() => log.close());
  const syncsAtOpen = ffs.count('sync', /\.log$/);
  await log.append(batch('a'));
  assert.equal(log.highWatermark, 1n);
  await waitUntil(() => ffs.count('sync', /\.log$/) > syncsAtOpen, 'a timed fsync');
});

test('a failed write fails the pending appends with a storage error; acknowledged data stays', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, dir, { durability: { mode: 'fsync' } });
  const acked: AppendResult[] = [];
  for (let i = 0; i < 5; i++) acked.push(await log.append(batch(`ok${i}`)));
  ffs.inject({ op: 'write', path: /\.log$/, partialBytes: 30 });
  const results = await Promise.allSettled([log.append(batch('bad1')), log.append(batch('bad2'))]);
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.ok(r.reason instanceof StorageError);
    assert.equal(r.reason.kafkaError, 'KAFKA_STORAGE_ERROR');
  }
  assert.ok(log.failure instanceof StorageError);
  await assert.rejects(log.append(batch('after')), StorageError, 'no appends until reopened');
  assert.equal(log.highWatermark, 5n);
  assert.equal(batchesOf((await log.read(0n, 1 << 20)).records).length, 5, 'reads still work');
  await log.close();

  const again = await PartitionLog.open(new FaultFs(), dir, { durability: { mode: 'fsync' } });
  t.after(() => again.close());
  assert.equal(again.logEndOffset, 5n, 'the partial write was cut off by recovery');
  assert.equal((await again.append(batch('again'))).baseOffset, 5n);
});

test('a failed fsync fails the appends it covered and leaves the high watermark where it was', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, dir, { durability: { mode: 'fsync' } });
  await log.append(batch('ok'));
  ffs.inject({ op: 'sync', path: /\.log$/ });
  await assert.rejects(log.append(batch('bad')), StorageError);
  assert.equal(log.highWatermark, 1n);
  await assert.rejects(log.append(batch('after')), StorageError);
  await log.close();
  await assert.rejects(log.append(batch('closed')), LogClosedError);
  const again = await PartitionLog.open(new FaultFs(), dir, { durability: { mode: 'fsync' } });
  t.after(() => again.close());
  assert.ok(again.logEndOffset >= 1n, 'what fsync could not promise may or may not be there');
});

test('fsync mode: a failed segment roll fails the appends waiting for it', async (t) => {
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, partitionDir(await tempDir(t)), {
    durability: { mode: 'fsync' },
    segmentBytes: 200,
  });
  t.after(() => log.close());
  await log.append(batch('a', 1, 1n, 80));
  ffs.inject({ op: 'open', path: /\.index$/ });
  await assert.rejects(log.append(batch('b', 1, 1n, 80)), StorageError);
  assert.equal(log.highWatermark, 1n);
});
