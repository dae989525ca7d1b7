// Crashes (unsynced bytes lost, torn tails) and corruption (bit flips), through the fault-injecting fs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FaultFs } from '../../../src/broker/log/fault-fs.ts';
import { PartitionLog } from '../../../src/broker/log/partition-log.ts';
import type { AppendResult, PartitionLogOptions } from '../../../src/broker/log/partition-log.ts';
import { CorruptLogError, StorageError } from '../../../src/broker/log/errors.ts';
import { batch, batchesOf, captureLogger, partitionDir, tempDir, waitFor } from './helpers.ts';

const fsyncMode: PartitionLogOptions = { durability: { mode: 'fsync' }, indexIntervalBytes: 256 };

async function logBytesOnDisk(dir: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir)) if (f.endsWith('.log')) n += (await stat(join(dir, f))).size;
  return n;
}

async function batchAt(log: PartitionLog, offset: bigint): Promise<Buffer> {
  const [b] = batchesOf((await log.read(offset, 1)).records);
  return Buffer.from(b.bytes);
}

test('crash in fsync mode: acknowledged appends survive with their offsets, unsynced ones are gone', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, dir, fsyncMode);
  const acked: [AppendResult, Buffer][] = [];
  for (let i = 0; i < 30; i++) {
    const b = batch(`acked${i}`, 2);
    acked.push([await log.append(b), b]);
  }
  const release = ffs.hold('sync');
  const outcomes: string[] = [];
  const pending = Array.from({ length: 10 }, (_, i) =>
    log.append(batch(`lost${i}`, 2)).then(
      () => outcomes.push('resolved'),
      (err: unknown) => outcomes.push(err instanceof StorageError ? 'storage-error' : String(err)),
    ),
  );
  await waitFor(async () => (await logBytesOnDisk(dir)) === log.sizeBytes, 'unsynced writes on disk');
  assert.equal(log.highWatermark, 60n, 'the high watermark stays at fsynced data');
  assert.equal(log.logEndOffset, 80n);
  await ffs.crash();
  release();
  await Promise.all(pending);
  assert.deepEqual(outcomes, Array(10).fill('storage-error'), 'no unsynced append was acknowledged');

  const again = await PartitionLog.open(new FaultFs(), dir, fsyncMode);
  t.after(() => again.close());
  assert.equal(again.logEndOffset, 60n);
  for (const [r, bytes] of acked) assert.deepEqual(await batchAt(again, r.baseOffset), bytes);
  assert.equal((await again.append(batch('after'))).baseOffset, 60n);
});

test('crash with a torn tail: the whole unsynced batch may survive, nothing after the torn one does', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const ffs = new FaultFs();
  const { logger, lines } = captureLogger();
  const log = await PartitionLog.open(ffs, dir, fsyncMode);
  for (let i = 0; i < 5; i++) await log.append(batch(`acked${i}`));
  const release = ffs.hold('sync');
  const unsynced = [batch('u0', 3), batch('u1', 3), batch('u2', 3)];
  const sizes = unsynced.map((b) => b.length);
  const pending = unsynced.map((b) => log.append(b).catch(() => 'failed'));
  const kept = [Buffer.from(unsynced[0])]; // as patched by append
  await waitFor(async () => (await logBytesOnDisk(dir)) === log.sizeBytes, 'unsynced writes on disk');
  await ffs.crash({ keepUnsyncedBytes: sizes[0] + Math.floor(sizes[1] / 2) });
  release();
  assert.deepEqual(await Promise.all(pending), ['failed', 'failed', 'failed']);

  const again = await PartitionLog.open(new FaultFs(), dir, fsyncMode, logger);
  t.after(() => again.close());
  assert.equal(again.logEndOffset, 8n, 'u0 was whole on disk, u1 torn');
  assert.deepEqual(await batchAt(again, 5n), kept[0]);
  const truncations = lines.filter((l) => l.msg === 'truncated torn or corrupt log tail');
  assert.equal(truncations.length, 1);
  assert.equal(truncations[0].obj.droppedBytes, Math.floor(sizes[1] / 2));
  assert.equal(truncations[0].obj.droppedFromOffset, 8n);
  assert.equal((await again.append(batch('next'))).baseOffset, 8n);
});

test('eight concurrent producers, crash at a random moment: every acknowledged append is there', async (t) => {
  for (let round = 0; round < 5; round++) {
    const dir = partitionDir(await tempDir(t));
    const ffs = new FaultFs();
    const log = await PartitionLog.open(ffs, dir, { ...fsyncMode, segmentBytes: 4096 });
    const acked: [AppendResult, Buffer][] = [];
    let stop = false;
    const producers = Array.from({ length: 8 }, async (_, p) => {
      for (let i = 0; !stop; i++) {
        const b = batch(`p${p}-${i}`, 1 + (i % 3));
        try {
          acked.push([await log.append(b), b]);
        } catch {
          return;
        }
      }
    });
    const target = 20 + Math.floor(Math.random() * 200);
    await waitFor(() => Promise.resolve(acked.length >= target), `${target} acknowledgements`);
    const keep = Math.floor(Math.random() * 300);
    await ffs.crash({ keepUnsyncedBytes: keep });
    stop = true;
    await Promise.all(producers);
    const ackedAtCrash = acked.length;

    const again = await PartitionLog.open(new FaultFs(), dir, fsyncMode);
    const maxAcked = acked.reduce((m, [r]) => (r.lastOffset > m ? r.lastOffset : m), -1n);
    assert.ok(
      again.highWatermark > maxAcked,
      `round ${round}: recovered to ${again.highWatermark}, acked ${maxAcked}`,
    );
    for (const [r, bytes] of acked.slice(0, ackedAtCrash)) {
      assert.deepEqual(await batchAt(again, r.baseOffset), bytes, `round ${round} offset ${r.baseOffset}`);
    }
    const end = acked.reduce((m, [r]) => (r.lastOffset + 1n > m ? r.lastOffset + 1n : m), 0n);
    assert.ok(again.logEndOffset >= end);
    assert.equal((await again.append(batch('after'))).baseOffset, again.logEndOffset - 1n);
    await again.close();
  }
});

test('a bit flip in the active segment truncates the log there on open', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const ffs = new FaultFs();
  const log = await PartitionLog.open(ffs, dir, fsyncMode);
  const positions: number[] = [];
  for (let i = 0; i < 10; i++) {
    positions.push(log.sizeBytes);
    await log.append(batch(`b${i}`, 2));
  }
  await log.close();
  await ffs.flipBit(join(dir, '00000000000000000000.log'), positions[6] + 70, 3);
  const { logger, lines } = captureLogger();
  const again = await PartitionLog.open(ffs, dir, fsyncMode, logger);
  t.after(() => again.close());
  assert.equal(again.logEndOffset, 12n);
  assert.equal(again.corruption, undefined);
  assert.equal(lines.filter((l) => l.level === 'warn').length, 1);
  assert.match(String(lines[0].obj.reason), /CRC/);
  assert.equal((await again.append(batch('x'))).baseOffset, 12n);
});

test('a bit flip in a closed segment: earlier offsets read, later ones fail with CorruptLogError', async (t) => {
  const root = await tempDir(t);
  const dir = partitionDir(root);
  const otherDir = join(root, 'other-0');
  const ffs = new FaultFs();
  const options = { ...fsyncMode, segmentBytes: 1024 };
  const log = await PartitionLog.open(ffs, dir, options);
  const other = await PartitionLog.open(ffs, otherDir, options);
  for (let i = 0; i < 60; i++) {
    await other.append(batch(`o${i}`));
    await log.append(batch(`b${i}`));
  }
  await log.close();
  // Find a batch in the second segment by reading the segment files' layout back.
  const segs = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  assert.ok(segs.length >= 4);
  const secondBase = BigInt(segs[1].slice(0, 20));
  const victim = secondBase + 2n;
  const reopened = await PartitionLog.open(ffs, dir, options);
  const victimRead = await reopened.read(secondBase, 1 << 20);
  const sizes = batchesOf(victimRead.records).map((b) => b.bytes.length);
  await reopened.close();
  await ffs.flipBit(join(dir, segs[1]), sizes[0] + sizes[1] + 65);

  const { logger, lines } = captureLogger();
  const again = await PartitionLog.open(ffs, dir, options, logger);
  t.after(() => again.close());
  t.after(() => other.close());
  assert.equal(again.corruption, undefined, 'indexes intact: the flip is found by reading');
  assert.equal(batchesOf((await again.read(0n, 1 << 20)).records).length > 0, true);
  const upTo = await again.read(secondBase, 1 << 20);
  assert.deepEqual(
    batchesOf(upTo.records).map((b) => b.header.baseOffset),
    [secondBase, secondBase + 1n],
    'a read stops before the bad batch',
  );
  const found: PartitionLog = again; // the assertion above narrowed again.corruption to undefined
  assert.equal(found.corruption?.offset, victim);
  await assert.rejects(again.read(victim, 1000), CorruptLogError);
  await assert.rejects(again.read(victim + 5n, 1000), CorruptLogError);
  await assert.rejects(again.read(again.highWatermark - 1n, 1000), CorruptLogError, 'later segments too');
  assert.equal(batchesOf((await again.read(victim - 1n, 1 << 20)).records).length, 1);
  assert.equal(lines.filter((l) => l.level === 'error').length, 1, 'reported once');
  await assert.rejects(again.read(victim, 1000), CorruptLogError);
  assert.equal(lines.filter((l) => l.level === 'error').length, 1, 'still once');
  // Appends go on; other partitions are untouched.
  assert.equal((await again.append(batch('more'))).baseOffset, 60n);
  assert.equal(batchesOf((await other.read(0n, 1 << 20)).records).length > 0, true);
  assert.equal(other.corruption, undefined);
  await again.close();
  // verify() finds the same corruption without a read.
  const fresh = await PartitionLog.open(ffs, dir, options);
  t.after(() => fresh.close());
  assert.equal(fresh.corruption, undefined);
  assert.equal((await fresh.verify())?.offset, victim);
  await assert.rejects(fresh.read(victim, 1000), CorruptLogError);
});

test('corruption found while rebuilding a closed segment index marks the log, truncates nothing', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const options = { durability: { mode: 'none' as const }, segmentBytes: 1024 };
  const log = await PartitionLog.open(new FaultFs(), dir, options);
  for (let i = 0; i < 40; i++) await log.append(batch(`b${i}`));
  const end = log.logEndOffset;
  await log.close();
  const segs = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  const firstBatchSize = batch('b0').length;
  const ffs = new FaultFs();
  await ffs.flipBit(join(dir, segs[0]), firstBatchSize * 3 + 70);
  await ffs.inner.unlink(join(dir, segs[0].replace('.log', '.timeindex')));
  const { logger, lines } = captureLogger();
  const again = await PartitionLog.open(ffs, dir, options, logger);
  t.after(() => again.close());
  assert.equal(again.corruption?.offset, 3n, 'found by the rebuild scan at open');
  assert.equal(again.logEndOffset, end, 'nothing truncated');
  assert.equal(batchesOf((await again.read(0n, 1 << 20)).records).length, 3);
  await assert.rejects(again.read(3n, 100), CorruptLogError);
  assert.equal(lines.filter((l) => l.level === 'error').length, 1);
});

test('crash in interval mode: the log comes back consistent at a batch boundary', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const ffs = new FaultFs();
  const options: PartitionLogOptions = {
    durability: { mode: 'interval', intervalMs: 1 },
    segmentBytes: 2048,
  };
  const log = await PartitionLog.open(ffs, dir, options);
  const appended: Buffer[] = [];
  for (let i = 0; i < 100; i++) {
    const b = batch(`i${i}`);
    await log.append(b);
    appended.push(b);
  }
  await ffs.crash({ keepUnsyncedBytes: 37 });
  const again = await PartitionLog.open(new FaultFs(), dir, options);
  t.after(() => again.close());
  const end = Number(again.logEndOffset);
  for (let o = 0; o < end; o++) assert.deepEqual(await batchAt(again, BigInt(o)), appended[o]);
  assert.equal((await again.append(batch('next'))).baseOffset, BigInt(end));
});
