// Rolling a segment: in `none` and `interval` mode the closed segment is synced in the background, off the
// append path (close() and flush() wait for it); in `fsync` mode before the next segment is created.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { FaultFs } from '../../../src/broker/log/fault-fs.ts';
import { PartitionLog } from '../../../src/broker/log/partition-log.ts';
import type { PartitionLogOptions } from '../../../src/broker/log/partition-log.ts';
import { StorageError } from '../../../src/broker/log/errors.ts';
import { batch, batchesOf, captureLogger, partitionDir, tempDir, waitUntil } from './helpers.ts';

// Each batch of 80-byte values is ~150 bytes: one batch per segment.
const small = (tag: string) => batch(tag, 1, 1_000n, 80);
const noneMode: PartitionLogOptions = { durability: { mode: 'none' }, segmentBytes: 200 };
const SEG0 = /0{20}\.log$/;
const SEG1 = /0{19}1\.log$/;

/** Holds segment 0's fsyncs until release() (or the test's end); started() waits until one has begun. */
function holdSegment0Sync(t: TestContext, ffs: FaultFs) {
  const before = ffs.count('sync', SEG0);
  const release = ffs.hold('sync', SEG0);
  t.after(release);
  return { release, started: (what: string) => waitUntil(() => ffs.count('sync', SEG0) > before, what) };
}

async function indexFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('index')).sort();
}

test('none mode: an append after a roll is acknowledged and readable while the closed segment still syncs; close() waits for that sync', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, dir, noneMode);
  await log.append(small('a'));
  const { release, started } = holdSegment0Sync(t, ffs);

  const after = await log.append(small('b')); // rolls to segment 1
  assert.equal(after.baseOffset, 1n);
  assert.equal(log.segmentCount, 2);
  assert.equal(log.highWatermark, 2n);
  assert.equal(batchesOf((await log.read(1n, 1 << 20)).records).length, 1, 'the new batch is readable');
  await started('the background sync of segment 0 to start');
  assert.deepEqual(await indexFiles(dir), [], 'index files are written after the data sync');
  assert.equal(batchesOf((await log.read(0n, 1 << 20)).records).length, 1, 'the closed segment reads');

  let closed = false;
  const closing = log.close().then(() => (closed = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(closed, false, 'close() is waiting for the held sync');
  release();
  await closing;
  assert.deepEqual(await indexFiles(dir), ['00000000000000000000.index', '00000000000000000000.timeindex']);
  // A crash now loses nothing: close() left every byte and directory entry synced.
  await ffs.crash();
  const again = await PartitionLog.open(new FaultFs(), dir, noneMode);
  t.after(() => again.close());
  assert.equal(again.highWatermark, 2n);
  assert.equal(again.corruption, undefined);
  assert.equal(batchesOf((await again.read(1n, 1 << 20)).records).length, 1);
});

test('fsync mode: a roll syncs the closed segment before the next segment is created', async (t) => {
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, partitionDir(await tempDir(t)), {
    ...noneMode,
    durability: { mode: 'fsync' },
  });
  t.after(() => log.close());
  await log.append(small('a'));
  const { release, started } = holdSegment0Sync(t, ffs);
  let acked = false;
  const appended = log.append(small('b')).then((r) => ((acked = true), r));
  await started('the roll to sync segment 0');
  assert.equal(ffs.count('open', SEG1), 0, 'segment 1 is not created before segment 0 is synced');
  assert.equal(acked, false);
  release();
  assert.equal((await appended).baseOffset, 1n);
  assert.equal(ffs.count('open', SEG1), 1);
});

test('none mode: a failed background sync of a closed segment is logged, counted and fails the log', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const ffs = new FaultFs();
  const { lines, logger } = captureLogger();
  const log = await PartitionLog.open(ffs, dir, noneMode, logger);
  await log.append(small('a'));
  ffs.inject({ op: 'sync', path: SEG0 });
  const { release } = holdSegment0Sync(t, ffs); // so that it fails after the next append was acknowledged
  assert.equal((await log.append(small('b'))).baseOffset, 1n, 'the roll itself does not wait for the sync');
  release();
  await waitUntil(() => log.failure !== undefined, 'the background sync to fail');
  assert.equal(log.closedSegmentSyncFailures, 1);
  assert.ok(log.failure instanceof StorageError);
  assert.match(log.failure.message, /fsync of closed segment 0 failed/);
  assert.ok(lines.some((l) => l.level === 'error' && l.obj.err === log.failure));
  await assert.rejects(log.append(small('c')), StorageError, 'no appends until reopened');
  assert.equal(batchesOf((await log.read(1n, 1 << 20)).records).length, 1, 'reads go on');
  await log.close();

  const again = await PartitionLog.open(new FaultFs(), dir, noneMode);
  t.after(() => again.close());
  assert.equal(again.logEndOffset, 2n, 'a process that did not crash kept its page cache');
  assert.equal(again.corruption, undefined, 'the missing index files were rebuilt');
});

test('none mode: an OS crash while a closed segment syncs recovers to a truncated tail, not a corrupt log', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, dir, { ...noneMode, segmentBytes: 400 });
  await log.append(small('a'));
  await log.flush(); // offset 0 is on disk
  await log.append(small('a2')); // only in the page cache
  const { release, started } = holdSegment0Sync(t, ffs);
  await log.append(small('b')); // rolls to segment 2
  await started('the background sync to start');
  await ffs.crash();
  release();
  await log.close();

  const again = await PartitionLog.open(new FaultFs(), dir, noneMode);
  t.after(() => again.close());
  assert.equal(again.corruption, undefined);
  assert.equal(again.segmentCount, 1, "the new segment's directory entry was never made durable");
  assert.equal(again.highWatermark, 1n);
  assert.equal((await again.append(small('after'))).baseOffset, 1n);
});

test('none mode: rolls in quick succession sync in roll order; retention waits for a segment still syncing', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, dir, noneMode);
  await log.append(small('a'));
  const { release, started } = holdSegment0Sync(t, ffs);
  await log.append(small('b')); // roll 1: closes segment 0
  await log.append(small('c')); // roll 2: closes segment 1
  await log.append(small('d')); // roll 3: closes segment 2
  assert.equal(log.segmentCount, 4);
  assert.equal(log.highWatermark, 4n);
  await started('the sync of segment 0 to start');
  assert.equal(ffs.count('sync', SEG1), 0, 'segment 1 syncs only after segment 0');

  let retained = false;
  const retention = log
    .applyRetention(Date.now(), { retentionMs: -1, retentionBytes: 1 })
    .then((r) => ((retained = true), r));
  await new Promise((r) => setImmediate(r));
  assert.equal(retained, false, 'retention waits for the held sync');
  release();
  const { deleted, logStartOffset } = await retention;
  assert.deepEqual(
    deleted.map((d) => d.baseOffset),
    [0n, 1n, 2n],
  );
  assert.equal(logStartOffset, 3n);
  await log.close();
  assert.deepEqual((await readdir(dir)).filter((f) => /^\d{20}\./.test(f)).sort(), [
    '00000000000000000003.log',
  ]);
  const again = await PartitionLog.open(new FaultFs(), dir, noneMode);
  t.after(() => again.close());
  assert.equal(again.logStartOffset, 3n);
  assert.equal(again.highWatermark, 4n);
});

test('interval mode: a roll does not wait for the closed segment, a timed fsync does', async (t) => {
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, partitionDir(await tempDir(t)), {
    ...noneMode,
    durability: { mode: 'interval', intervalMs: 5 },
  });
  t.after(() => log.close());
  await log.append(small('a'));
  const { release } = holdSegment0Sync(t, ffs);
  assert.equal((await log.append(small('b'))).baseOffset, 1n);
  assert.equal(log.highWatermark, 2n);
  let flushed = false;
  const flushing = log.flush().then(() => (flushed = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(flushed, false, 'flush() waits for the closed segment too');
  release();
  await flushing;
  await waitUntil(() => ffs.count('sync', SEG1) > 0, 'a timed fsync of segment 1');
});
