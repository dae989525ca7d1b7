// Closing and reopening a log: same offsets and bytes, rebuilt indexes, stray files, format version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeLogFs } from '../../../src/broker/log/fs.ts';
import { PartitionLog } from '../../../src/broker/log/partition-log.ts';
import type { PartitionLogOptions } from '../../../src/broker/log/partition-log.ts';
import { UnsupportedLogFormatError } from '../../../src/broker/log/errors.ts';
import { batch, batchesOf, partitionDir, tempDir } from './helpers.ts';

const options: PartitionLogOptions = {
  durability: { mode: 'none' },
  segmentBytes: 1500,
  indexIntervalBytes: 200,
};
const open = (dir: string, extra: PartitionLogOptions = {}) =>
  PartitionLog.open(new NodeLogFs(), dir, { ...options, ...extra });

async function readAll(log: PartitionLog): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let next = log.logStartOffset; next < log.highWatermark;) {
    const r = await log.read(next, 1000);
    out.push(...batchesOf(r.records).map((b) => Buffer.from(b.bytes)));
    next = r.nextOffset;
  }
  return out;
}

async function fill(log: PartitionLog, n: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const b = batch(`r${i}`, 1 + (i % 3), BigInt(5_000 + i * 100));
    await log.append(b);
    out.push(b);
  }
  return out;
}

test('close and reopen: same offsets, same bytes, appends continue at the log end', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const log = await open(dir);
  const appended = await fill(log, 40);
  const end = log.logEndOffset;
  const before = await Promise.all([log.offsetForTimestamp(7_050n), log.offsetOfMaxTimestamp()]);
  await log.close();

  const again = await open(dir);
  t.after(() => again.close());
  assert.equal(again.logEndOffset, end);
  assert.equal(again.highWatermark, end);
  assert.equal(again.logStartOffset, 0n);
  assert.deepEqual(await readAll(again), appended);
  assert.deepEqual(
    await Promise.all([again.offsetForTimestamp(7_050n), again.offsetOfMaxTimestamp()]),
    before,
  );
  assert.equal((await again.append(batch('next'))).baseOffset, end);
});

test('deleted or damaged index files are rebuilt with the same results', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const log = await open(dir);
  const appended = await fill(log, 100);
  const lookups = async (l: PartitionLog) =>
    Promise.all([5_000n, 6_050n, 8_000n, 8_950n].map((ts) => l.offsetForTimestamp(ts)));
  const expected = await lookups(log);
  await log.close();

  const files = (await readdir(dir)).sort();
  const indexes = files.filter((f) => f.endsWith('.index') || f.endsWith('.timeindex'));
  const originals = new Map(
    await Promise.all(indexes.map(async (f) => [f, await readFile(join(dir, f))] as const)),
  );
  assert.ok(indexes.length >= 8, indexes.join(' '));
  const [gone, , , truncated, garbage, , emptied] = indexes;
  assert.ok(truncated.endsWith('.timeindex') && garbage.endsWith('.index') && emptied.endsWith('.index'));
  await rm(join(dir, gone));
  await writeFile(join(dir, truncated), originals.get(truncated)!.subarray(0, -12)); // closing entry lost
  await writeFile(join(dir, garbage), Buffer.alloc(5));
  // An offset index that lost entries is still a correct (sparser) index: nothing to detect, same results.
  await writeFile(join(dir, emptied), Buffer.alloc(0));

  const again = await open(dir);
  t.after(() => again.close());
  assert.deepEqual(await readAll(again), appended);
  assert.deepEqual(await lookups(again), expected);
  for (const f of [gone, truncated, garbage]) {
    assert.deepEqual(await readFile(join(dir, f)), originals.get(f), `${f} rebuilt identically`);
  }
});

test('an index that passes the cheap check at open but is garbage is rebuilt when first used', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const log = await open(dir);
  const appended = await fill(log, 30);
  await log.close();
  const index = (await readdir(dir)).filter((f) => f.endsWith('.index')).sort()[0];
  const bytes = await readFile(join(dir, index));
  assert.ok(bytes.length >= 16);
  bytes.writeInt32BE(0x7fffffff, 0); // first entry out of order
  await writeFile(join(dir, index), bytes);
  const again = await open(dir);
  t.after(() => again.close());
  assert.deepEqual(await readAll(again), appended);
  assert.equal(again.corruption, undefined);
});

test('stray files are removed on open: temporaries, indexes without a segment', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const log = await open(dir);
  await fill(log, 5);
  await log.close();
  await writeFile(join(dir, 'log-start-offset.tmp'), 'half');
  await writeFile(join(dir, '00000000000000099999.index'), Buffer.alloc(8));
  await writeFile(join(dir, '00000000000000099999.timeindex'), Buffer.alloc(12));
  const again = await open(dir);
  t.after(() => again.close());
  const files = await readdir(dir);
  assert.ok(!files.some((f) => f.endsWith('.tmp') || f.startsWith('00000000000000099999')), files.join(' '));
  assert.equal(again.logEndOffset, 9n);
});

test('the directory records its format version; a newer one is refused', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const log = await open(dir);
  await log.close();
  assert.equal(await readFile(join(dir, 'log-format'), 'utf8'), 'sluice-log-format 1\n');
  await writeFile(join(dir, 'log-format'), 'sluice-log-format 2\n');
  await assert.rejects(open(dir), UnsupportedLogFormatError);
});

test('delete removes the partition directory', async (t) => {
  const root = await tempDir(t);
  const log = await open(partitionDir(root));
  await fill(log, 20);
  await log.delete();
  assert.deepEqual(await readdir(root), []);
});
