// Retention by time and size, DeleteRecords, and the log start offset checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FaultFs } from '../../../src/broker/log/fault-fs.ts';
import { NodeLogFs } from '../../../src/broker/log/fs.ts';
import { PartitionLog } from '../../../src/broker/log/partition-log.ts';
import type { PartitionLogOptions } from '../../../src/broker/log/partition-log.ts';
import { OffsetOutOfRangeError } from '../../../src/broker/log/errors.ts';
import { batch, batchesOf, partitionDir, tempDir } from './helpers.ts';

const options: PartitionLogOptions = {
  durability: { mode: 'none' },
  segmentBytes: 1000,
  indexIntervalBytes: 200,
};

/** 100 one-record batches with timestamps 1000, 1010, ... */
async function filled(dir: string, extra: PartitionLogOptions = {}): Promise<PartitionLog> {
  const log = await PartitionLog.open(new NodeLogFs(), dir, { ...options, ...extra });
  for (let i = 0; i < 100; i++) await log.append(batch(`r${i}`, 1, BigInt(1000 + i * 10)));
  return log;
}

const segmentFiles = async (dir: string) => (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();

test('retention by time deletes closed segments whose newest batch is too old, never the active one', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const log = await filled(dir);
  t.after(() => log.close());
  const segments = await segmentFiles(dir);
  assert.ok(segments.length > 5);
  const secondBase = BigInt(segments[1].slice(0, 20));
  // The first segment is old once its newest batch (offset secondBase - 1) is more than retentionMs old.
  const newestOfFirst = 1000 + Number(secondBase - 1n) * 10;
  const none = await log.applyRetention(newestOfFirst + 100, { retentionMs: 100, retentionBytes: -1 });
  assert.deepEqual(none.deleted, []);
  const one = await log.applyRetention(newestOfFirst + 101, { retentionMs: 100, retentionBytes: -1 });
  assert.deepEqual(
    one.deleted.map((d) => [d.baseOffset, d.endOffset, d.reason]),
    [[0n, secondBase, 'time']],
  );
  assert.equal(log.logStartOffset, secondBase);
  assert.deepEqual(await segmentFiles(dir), segments.slice(1));
  await assert.rejects(log.read(0n, 100), OffsetOutOfRangeError);
  assert.equal(batchesOf((await log.read(secondBase, 1)).records)[0].header.baseOffset, secondBase);

  const all = await log.applyRetention(10_000_000, { retentionMs: 0, retentionBytes: -1 });
  assert.equal(all.deleted.length, segments.length - 2);
  assert.equal(log.segmentCount, 1, 'the active segment stays');
  assert.equal(log.highWatermark, 100n);
});

test('retention by size keeps at least retentionBytes', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const log = await filled(dir);
  t.after(() => log.close());
  const total = log.sizeBytes;
  const result = await log.applyRetention(0, { retentionMs: -1, retentionBytes: Math.floor(total / 2) });
  assert.ok(result.deleted.length > 0);
  assert.ok(result.deleted.every((d) => d.reason === 'size'));
  assert.ok(log.sizeBytes >= total / 2, `${log.sizeBytes} >= ${total / 2}`);
  const freed = result.deleted.reduce((n, d) => n + d.sizeBytes, 0);
  assert.equal(log.sizeBytes, total - freed);
  assert.equal(log.logStartOffset, result.deleted[result.deleted.length - 1].endOffset);
  assert.deepEqual((await log.applyRetention(0, { retentionMs: -1, retentionBytes: -1 })).deleted, []);
});

test('deleteRecordsBefore advances the log start offset, persisted, and drops whole segments below it', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const log = await filled(dir);
  const segments = await segmentFiles(dir);
  const thirdBase = BigInt(segments[2].slice(0, 20));
  assert.equal(await log.deleteRecordsBefore(thirdBase + 1n), thirdBase + 1n);
  assert.deepEqual(await segmentFiles(dir), segments.slice(2));
  await assert.rejects(log.read(thirdBase, 100), OffsetOutOfRangeError);
  const r = await log.read(thirdBase + 1n, 1);
  assert.equal(batchesOf(r.records)[0].header.baseOffset, thirdBase + 1n);
  assert.equal(r.logStartOffset, thirdBase + 1n);
  assert.equal(await log.deleteRecordsBefore(5n), thirdBase + 1n, 'never moves back');
  await assert.rejects(log.deleteRecordsBefore(101n), OffsetOutOfRangeError);
  assert.equal((await log.offsetForTimestamp(0n))?.offset, thirdBase + 1n);
  assert.equal(await readFile(join(dir, 'log-start-offset'), 'utf8'), `1\n${thirdBase + 1n}\n`);
  await log.close();

  const again = await PartitionLog.open(new NodeLogFs(), dir, options);
  t.after(() => again.close());
  assert.equal(again.logStartOffset, thirdBase + 1n);
  assert.equal(again.logEndOffset, 100n);
  await assert.rejects(again.read(thirdBase, 100), OffsetOutOfRangeError);
  assert.equal(await again.deleteRecordsBefore(100n), 100n);
  assert.equal(again.segmentCount, 1);
  assert.equal((await again.read(100n, 100)).records.length, 0);
});

test('a crash between the checkpoint and the unlinks finishes the deletion on open', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, dir, options);
  for (let i = 0; i < 60; i++) await log.append(batch(`r${i}`));
  await log.flush();
  const segments = await segmentFiles(dir);
  const secondBase = BigInt(segments[1].slice(0, 20));
  ffs.inject({ op: 'unlink', times: Infinity });
  await assert.rejects(log.deleteRecordsBefore(secondBase + 2n));
  await ffs.crash();
  const again = await PartitionLog.open(new FaultFs(), dir, options);
  t.after(() => again.close());
  assert.equal(again.logStartOffset, secondBase + 2n);
  assert.deepEqual(await segmentFiles(dir), segments.slice(1));
});

test('a log start offset past the recovered end (data lost in none mode) restarts the log there', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, dir, { durability: { mode: 'none' } });
  for (let i = 0; i < 10; i++) await log.append(batch(`r${i}`));
  assert.equal(await log.deleteRecordsBefore(8n), 8n);
  await ffs.crash(); // the ten batches were never fsynced
  const again = await PartitionLog.open(new FaultFs(), dir, { durability: { mode: 'none' } });
  t.after(() => again.close());
  assert.equal(again.logStartOffset, 8n);
  assert.equal(again.logEndOffset, 8n);
  assert.equal((await again.append(batch('next'))).baseOffset, 8n, 'offsets are not reused');
  assert.deepEqual(await segmentFiles(dir), ['00000000000000000008.log']);
});
