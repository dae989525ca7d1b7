// Appends and reads: offsets, whole-batch semantics, maxBytes, ranges, many segments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { NodeLogFs } from '../../../src/broker/log/fs.ts';
import { PartitionLog } from '../../../src/broker/log/partition-log.ts';
import type { PartitionLogOptions } from '../../../src/broker/log/partition-log.ts';
import { InvalidBatchError, LogClosedError, OffsetOutOfRangeError } from '../../../src/broker/log/errors.ts';
import { FaultFs } from '../../../src/broker/log/fault-fs.ts';
import { readBatchHeader, validateBatch } from '../../../src/protocol/record-batch.ts';
import { batch, batchesOf, partitionDir, tempDir, waitUntil } from './helpers.ts';

async function openLog(root: string, options: PartitionLogOptions = {}) {
  return PartitionLog.open(new NodeLogFs(), partitionDir(root), { durability: { mode: 'none' }, ...options });
}

test('offsets are assigned in order, batches are stored as given with offsets and epoch patched', async (t) => {
  const log = await openLog(await tempDir(t), { leaderEpoch: 7 });
  t.after(() => log.close());
  const results = await Promise.all([
    log.append(batch('a', 3)),
    log.append(batch('b', 1)),
    log.append(batch('c', 2)),
  ]);
  assert.deepEqual(
    results.map((r) => [r.baseOffset, r.lastOffset, r.logAppendTime]),
    [
      [0n, 2n, -1n],
      [3n, 3n, -1n],
      [4n, 5n, -1n],
    ],
  );
  assert.equal(log.logEndOffset, 6n);
  assert.equal(log.highWatermark, 6n);
  const { records, highWatermark, nextOffset } = await log.read(0n, 1 << 20);
  assert.equal(highWatermark, 6n);
  assert.equal(nextOffset, 6n);
  const got = batchesOf(records);
  assert.deepEqual(
    got.map((b) => [b.header.baseOffset, b.header.lastOffsetDelta, b.header.partitionLeaderEpoch]),
    [
      [0n, 2, 7],
      [3n, 0, 7],
      [4n, 1, 7],
    ],
  );
  for (const b of got) assert.equal(validateBatch(b.bytes).ok, true, 'CRC still valid after patching');
});

test('reads return whole batches: from the middle of a batch, within maxBytes, at least one', async (t) => {
  const log = await openLog(await tempDir(t));
  t.after(() => log.close());
  const sizes: number[] = [];
  for (let i = 0; i < 10; i++) {
    const b = batch(`b${i}`, 5);
    sizes.push(b.length);
    await log.append(b);
  }
  const mid = await log.read(12n, 1 << 20);
  assert.equal(batchesOf(mid.records)[0].header.baseOffset, 10n, 'the batch containing offset 12');

  const two = await log.read(0n, sizes[0] + sizes[1] + sizes[2] - 1);
  assert.deepEqual(
    batchesOf(two.records).map((b) => b.header.baseOffset),
    [0n, 5n],
  );
  assert.equal(two.nextOffset, 10n);

  const tiny = await log.read(20n, 1);
  assert.deepEqual(
    batchesOf(tiny.records).map((b) => b.header.baseOffset),
    [20n],
    'one batch even when larger than maxBytes',
  );

  const atEnd = await log.read(50n, 1 << 20);
  assert.equal(atEnd.records.length, 0);
  assert.equal(atEnd.nextOffset, 50n);

  await assert.rejects(log.read(51n, 100), OffsetOutOfRangeError);
  const limited = await log.read(0n, 1 << 20, { maxOffset: 15n });
  assert.deepEqual(
    batchesOf(limited.records).map((b) => b.header.baseOffset),
    [0n, 5n, 10n],
  );
});

test('many segments: every offset reads back its own batch, across rolls and index entries', async (t) => {
  const root = await tempDir(t);
  const log = await openLog(root, { segmentBytes: 2000, indexIntervalBytes: 300 });
  t.after(() => log.close());
  const appended: Buffer[] = [];
  for (let i = 0; i < 120; i++) {
    const b = batch(`n${i}`, 1 + (i % 4), BigInt(1000 + i), 20 + (i % 7) * 13);
    appended.push(b);
    void log.append(b);
  }
  await log.flush();
  assert.ok(log.segmentCount > 10, `rolled into ${log.segmentCount} segments`);
  const files = await readdir(partitionDir(root));
  assert.ok(files.filter((f) => f.endsWith('.index')).length >= log.segmentCount - 1);
  let offset = 0n;
  for (const b of appended) {
    const header = readBatchHeader(b);
    for (let o = header.baseOffset; o <= header.baseOffset + BigInt(header.lastOffsetDelta); o++) {
      const got = batchesOf((await log.read(o, 1)).records);
      assert.equal(got.length, 1);
      assert.deepEqual(got[0].bytes, b, `offset ${o}`);
    }
    offset = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
  }
  assert.equal(offset, log.logEndOffset);
  // A sequential consumer sees everything exactly once.
  const seen: Buffer[] = [];
  for (let next = 0n; next < log.highWatermark;) {
    const r = await log.read(next, 700);
    seen.push(...batchesOf(r.records).map((b) => b.bytes));
    next = r.nextOffset;
  }
  assert.deepEqual(seen, appended);
  assert.equal(
    log.sizeBytes,
    appended.reduce((n, b) => n + b.length, 0),
  );
});

test('segments roll by age', async (t) => {
  let now = 1_000_000;
  const log = await openLog(await tempDir(t), { segmentMs: 100, clock: () => now });
  t.after(() => log.close());
  await log.append(batch('a'));
  await log.append(batch('b'));
  assert.equal(log.segmentCount, 1);
  now += 100;
  await log.append(batch('c'));
  assert.equal(log.segmentCount, 2);
  assert.equal(batchesOf((await log.read(0n, 1 << 20)).records).length, 2, 'a read stays in one segment');
  assert.equal(batchesOf((await log.read(2n, 1 << 20)).records).length, 1);
});

test('LogAppendTime stamps the batch with the log clock and a fresh CRC', async (t) => {
  const log = await openLog(await tempDir(t), { clock: () => 1_700_000_000_000 });
  t.after(() => log.close());
  const r = await log.append(batch('a', 2, 5n), { logAppendTime: true });
  assert.equal(r.logAppendTime, 1_700_000_000_000n);
  const [stored] = batchesOf((await log.read(0n, 1000)).records);
  assert.equal(stored.header.timestampType, 'log-append');
  assert.equal(stored.header.maxTimestamp, 1_700_000_000_000n);
  assert.equal(validateBatch(stored.bytes).ok, true);
});

test('append refuses what is not one v2 batch', async (t) => {
  const log = await openLog(await tempDir(t));
  t.after(() => log.close());
  await assert.rejects(log.append(Buffer.alloc(10)), InvalidBatchError);
  await assert.rejects(log.append(Buffer.concat([batch('a'), batch('b')])), InvalidBatchError);
  const wrongMagic = batch('a');
  wrongMagic[16] = 1;
  await assert.rejects(log.append(wrongMagic), InvalidBatchError);
  assert.equal(log.logEndOffset, 0n);
  assert.equal((await log.append(batch('ok'))).baseOffset, 0n);
});

test('offsetForTimestamp and offsetOfMaxTimestamp, batch granularity', async (t) => {
  const log = await openLog(await tempDir(t), { segmentBytes: 1500, indexIntervalBytes: 200 });
  t.after(() => log.close());
  // Timestamps rise by 10 per batch except one out-of-order batch (offset 40) with a high timestamp.
  for (let i = 0; i < 60; i++) {
    const ts = i === 40 ? 99_999n : BigInt(10_000 + i * 10);
    await log.append(batch(`t${i}`, 1, ts));
  }
  assert.ok(log.segmentCount > 3);
  assert.deepEqual(await log.offsetForTimestamp(0n), { offset: 0n, timestamp: 10_000n });
  assert.deepEqual(await log.offsetForTimestamp(10_095n), { offset: 10n, timestamp: 10_100n });
  assert.deepEqual(await log.offsetForTimestamp(10_100n), { offset: 10n, timestamp: 10_100n });
  assert.deepEqual(await log.offsetForTimestamp(10_405n), { offset: 40n, timestamp: 99_999n });
  assert.deepEqual(await log.offsetForTimestamp(99_999n), { offset: 40n, timestamp: 99_999n });
  assert.equal(await log.offsetForTimestamp(100_000n), undefined);
  assert.deepEqual(await log.offsetOfMaxTimestamp(), { offset: 40n, timestamp: 99_999n });
  await log.append(batch('late', 1, 200_000n));
  assert.deepEqual(await log.offsetOfMaxTimestamp(), { offset: 60n, timestamp: 200_000n });
});

test('the high watermark listener fires as appends land', async (t) => {
  const log = await openLog(await tempDir(t));
  t.after(() => log.close());
  const seen: bigint[] = [];
  const off = log.onHighWatermark((hwm) => seen.push(hwm));
  await log.append(batch('a', 2));
  await log.append(batch('b', 1));
  off();
  await log.append(batch('c', 1));
  assert.deepEqual(seen, [2n, 3n]);
});

test('close wakes high watermark listeners once, then reads and appends are refused', async (t) => {
  const log = await openLog(await tempDir(t));
  await log.append(batch('a'));
  const seen: bigint[] = [];
  log.onHighWatermark((hwm) => seen.push(hwm));
  await log.close();
  assert.deepEqual(seen, [1n]);
  await assert.rejects(log.read(0n, 100), LogClosedError);
  await assert.rejects(log.append(batch('b')), LogClosedError);
  await assert.rejects(log.offsetForTimestamp(0n), LogClosedError);
  await assert.rejects(log.applyRetention(0, { retentionMs: 0, retentionBytes: -1 }), LogClosedError);
  await log.close();
});

test('a read in flight finishes on its file even if retention deletes the segment meanwhile', async (t) => {
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, partitionDir(await tempDir(t)), {
    durability: { mode: 'none' },
    segmentBytes: 500,
  });
  t.after(() => log.close());
  const first = batch('first', 1, 1n);
  await log.append(first);
  for (let i = 0; i < 20; i++) await log.append(batch(`b${i}`, 1, 1n));
  const release = ffs.hold('read', /0{20}\.log$/);
  const reading = log.read(0n, 1);
  await waitUntil(() => ffs.count('read', /0{20}\.log$/) > 0, 'the read to start');
  const { deleted } = await log.applyRetention(1_000_000, { retentionMs: 0, retentionBytes: -1 });
  assert.equal(deleted[0].baseOffset, 0n);
  release();
  assert.deepEqual(batchesOf((await reading).records)[0].bytes, first);
  await assert.rejects(log.read(0n, 1), OffsetOutOfRangeError);
});
