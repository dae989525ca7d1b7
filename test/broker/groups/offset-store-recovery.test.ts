// The offset store after crashes, torn tails, bit flips, damaged headers and failed writes or fsyncs: every
// acknowledged change survives; what is lost or damaged is truncated (and set aside) with a warning; a
// failed change is rejected with a typed error and the store heals before the next one.
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { OffsetStoreFormatError, OffsetStoreStorageError } from '../../../src/broker/groups/offset-store.ts';
import { encodeEntry, encodeHeader } from '../../../src/broker/groups/store/entries.ts';
import { FaultFs } from '../../../src/broker/log/fault-fs.ts';
import { crc32c } from '../../../src/protocol/crc32c.ts';
import {
  captureLogger,
  commitOne,
  dump,
  off,
  openStore,
  sampleGroup,
  storeFile,
  tempDir,
  waitUntil,
} from './offset-store-helpers.ts';

const entrySize = (group: string, topic: string, partition: number, value = off(0)) =>
  encodeEntry({ type: 'offsets', group, offsets: [{ topic, partition, value }] }).length;

async function damagedFiles(dataDir: string): Promise<string[]> {
  return (await readdir(dirname(storeFile(dataDir)))).filter((f) => f.includes('.damaged-'));
}

test('torn tail after a crash: whole entries before it stay, the torn one goes, and commits append after', async (t) => {
  const dir = await tempDir(t);
  const ffs = new FaultFs();
  const store = await openStore(dir, ffs);
  for (let i = 0; i < 20; i++) await commitOne(store, 'g', 't', i, off(i));
  const acked = dump(store);
  const release = ffs.hold('sync', 'offsets.log');
  const unsynced = [100, 101, 102].map((o) =>
    commitOne(store, 'g', 'u', o, off(o)).then(
      () => 'acked',
      () => 'rejected',
    ),
  );
  const sizes = [100, 101, 102].map((o) => entrySize('g', 'u', o, off(o)));
  const written = store.stats.fileBytes + sizes.reduce((a, b) => a + b);
  await waitUntil(() => ffs.count('sync', 'offsets.log') >= 22, 'the unsynced write');
  const torn = Math.floor(sizes[1] / 2);
  await ffs.crash({ keepUnsyncedBytes: sizes[0] + torn });
  release();
  assert.deepEqual(
    await Promise.all(unsynced),
    ['rejected', 'rejected', 'rejected'],
    'nothing unsynced was acknowledged',
  );

  const { logger, lines } = captureLogger();
  const again = await openStore(dir, undefined, { logger });
  const expected = dump(again);
  assert.deepEqual(expected.offsets.g.t, acked.offsets.g.t, 'every acknowledged commit is there');
  assert.deepEqual(
    expected.offsets.g.u,
    { 100: off(100) },
    'the whole unsynced entry that reached the disk is kept',
  );
  const warn = lines.find((l) => l.msg === 'truncated torn or corrupt offset store tail');
  assert.ok(warn, 'the truncation is logged');
  assert.equal(warn.obj.droppedBytes, torn);
  assert.equal(warn.obj.position, written - sizes[2] - sizes[1]);
  assert.match(String(warn.obj.reason), /is torn/);
  assert.equal(warn.obj.entriesKept, 21);
  const [kept] = await damagedFiles(dir);
  assert.equal(warn.obj.keptIn, kept);
  assert.equal(
    (await readFile(join(dirname(storeFile(dir)), kept))).length,
    torn,
    'the dropped bytes are set aside',
  );

  await commitOne(again, 'g', 'v', 0, off(7));
  await again.close();
  const third = await openStore(dir);
  t.after(() => third.close());
  assert.deepEqual(third.offset('g', 'v', 0), off(7));
  assert.deepEqual(third.offset('g', 'u', 100), off(100));
  assert.equal(third.offsets('g').get('t')!.size, 20);
});

test('a bit flip in the last entry: it is dropped with a CRC warning, earlier entries intact, commits go on', async (t) => {
  const dir = await tempDir(t);
  const store = await openStore(dir);
  for (let i = 0; i < 10; i++) await commitOne(store, 'g', 't', i, off(i, `m${i}`));
  await store.putGroup('g', sampleGroup(3));
  const beforeLast = dump(store);
  await commitOne(store, 'g', 't', 0, off(500));
  const size = store.stats.fileBytes;
  await store.close();
  const ffs = new FaultFs();
  const last = entrySize('g', 't', 0, off(500));
  await ffs.flipBit(storeFile(dir), size - last + 12, 3);

  const { logger, lines } = captureLogger();
  const again = await openStore(dir, ffs, { logger });
  assert.deepEqual(dump(again), beforeLast);
  const warn = lines.find((l) => l.msg === 'truncated torn or corrupt offset store tail')!;
  assert.match(String(warn.obj.reason), /fails its CRC-32C/);
  assert.equal(warn.obj.droppedBytes, last);
  await commitOne(again, 'g', 't', 0, off(600));
  await again.close();
  const third = await openStore(dir);
  t.after(() => third.close());
  assert.deepEqual(third.offset('g', 't', 0), off(600));
  assert.deepEqual(third.group('g'), sampleGroup(3));
});

test('corruption in the middle: the file is cut there and everything after is set aside byte for byte', async (t) => {
  const dir = await tempDir(t);
  const store = await openStore(dir);
  for (let i = 0; i < 20; i++) await commitOne(store, 'g', 't', i, off(i));
  await store.close();
  const original = await readFile(storeFile(dir));
  const header = encodeHeader(0n).length;
  const each = entrySize('g', 't', 0);
  const cut = header + 5 * each;
  await new FaultFs().flipBit(storeFile(dir), cut + 2, 0); // inside the length field of the sixth entry

  const { logger, lines } = captureLogger();
  const again = await openStore(dir, undefined, { logger });
  t.after(() => again.close());
  assert.deepEqual([...again.offsets('g').get('t')!.keys()], [0, 1, 2, 3, 4]);
  const warn = lines.find((l) => l.msg === 'truncated torn or corrupt offset store tail')!;
  assert.equal(warn.obj.position, cut);
  const kept = await readFile(join(dirname(storeFile(dir)), String(warn.obj.keptIn)));
  const expected = Buffer.from(original.subarray(cut));
  expected[2] ^= 1;
  assert.ok(kept.equals(expected));
});

test('a damaged header, another format version or an empty file refuse to open, naming the file', async (t) => {
  const dir = await tempDir(t);
  const store = await openStore(dir);
  await commitOne(store, 'g', 't', 0, off(1));
  await store.close();
  const path = storeFile(dir);
  const good = await readFile(path);

  await new FaultFs().flipBit(path, 14);
  await assert.rejects(openStore(dir), (err: unknown) => {
    assert.ok(err instanceof OffsetStoreFormatError);
    assert.match(err.message, /offsets\.log is not a readable offset store: its header fails its CRC-32C/);
    assert.match(err.message, /Refusing to start/);
    return true;
  });

  const v2 = Buffer.from(good);
  const versionAt = encodeHeader(0n).length - 10; // int16 version, then int64 creation time
  v2.writeInt16BE(2, versionAt);
  v2.writeUInt32BE(crc32c(v2.subarray(8, encodeHeader(0n).length)), 4);
  await writeFile(path, v2);
  await assert.rejects(openStore(dir), /has offset store format version 2; this broker reads version 1/);

  await writeFile(path, Buffer.alloc(0));
  await assert.rejects(openStore(dir), /its header is torn/);
  await writeFile(path, good);
  const again = await openStore(dir);
  t.after(() => again.close());
  assert.deepEqual(again.offset('g', 't', 0), off(1));
});

test('crash at a random moment under concurrent commits in fsync mode: every acknowledged change survives', async (t) => {
  let compactions = 0;
  for (let round = 0; round < 6; round++) {
    const dir = await tempDir(t);
    const ffs = new FaultFs();
    const store = await openStore(dir, ffs, { compactAfterBytes: 4096 }); // compactions race the crash too
    const ackedOffset = new Map<string, bigint>();
    const issuedOffset = new Map<string, bigint>();
    let ackedGeneration = -1;
    let acks = 0;
    let stop = false;
    const committers = Array.from({ length: 6 }, async (_, c) => {
      for (let i = 1; !stop; i++) {
        const key = `${c}/${i % 4}`;
        issuedOffset.set(key, BigInt(i));
        try {
          if (c === 0 && i % 10 === 0) {
            await store.putGroup('g0', sampleGroup(i));
            ackedGeneration = i;
          } else {
            await commitOne(store, `g${c}`, 't', i % 4, off(i));
            ackedOffset.set(key, BigInt(i));
          }
          acks += 1;
        } catch {
          return;
        }
      }
    });
    const target = 50 + Math.floor(Math.random() * 400);
    await waitUntil(() => acks >= target, `${target} acknowledgements`, 60_000);
    await ffs.crash({
      keepUnsyncedBytes: Math.floor(Math.random() * 200),
      keepUnsyncedEntries: Math.random() < 0.5,
    });
    stop = true;
    await Promise.all(committers);
    compactions += store.stats.compactions;

    const again = await openStore(dir);
    for (const [key, acked] of ackedOffset) {
      const [c, p] = key.split('/');
      const found = again.offset(`g${c}`, 't', Number(p));
      assert.ok(found, `round ${round}: ${key} acknowledged at ${acked} is missing`);
      assert.ok(
        found.offset >= acked && found.offset <= issuedOffset.get(key)!,
        `round ${round}: ${key} ${found.offset} < ${acked}`,
      );
    }
    if (ackedGeneration >= 0) assert.ok(again.group('g0')!.generationId >= ackedGeneration);
    await again.close();
  }
  assert.ok(compactions > 0, 'compactions ran among the commits');
});

test('a failed write rejects its commits with a typed error; reads stay; the next commit heals the file', async (t) => {
  const dir = await tempDir(t);
  const ffs = new FaultFs();
  const { logger, lines } = captureLogger();
  const store = await openStore(dir, ffs, { logger });
  for (let i = 0; i < 5; i++) await commitOne(store, 'g', 't', i, off(i));
  await store.putGroup('g', sampleGroup(1));
  const acked = dump(store);

  ffs.inject({ op: 'write', path: 'offsets.log', partialBytes: 7 });
  const failed = await Promise.allSettled([
    commitOne(store, 'g', 't', 0, off(666)),
    store.putGroup('g', sampleGroup(666)),
  ]);
  for (const r of failed) {
    assert.equal(r.status, 'rejected');
    assert.ok(r.reason instanceof OffsetStoreStorageError);
    assert.equal(r.reason.errorCode, 16, 'NOT_COORDINATOR: clients find the coordinator again and retry');
    assert.match(r.reason.message, /offsets\.log: write failed: EIO/);
  }
  assert.deepEqual(dump(store), acked, 'reads are unchanged');
  assert.equal(store.stats.failed, true);
  assert.ok(lines.some((l) => l.level === 'error'));

  await commitOne(store, 'g', 't', 9, off(9));
  assert.equal(store.stats.failed, false);
  assert.equal(store.stats.compactions, 1, 'healed by rewriting the acknowledged state');
  assert.ok(lines.some((l) => l.msg === 'offset store compacted' && l.obj.healed === true));
  await store.close();
  await ffs.crash(); // anything not made durable by the heal would go now
  const again = await openStore(dir);
  t.after(() => again.close());
  assert.deepEqual(dump(again), { ...acked, offsets: { g: { t: { ...acked.offsets.g.t, 9: off(9) } } } });
});

test('a failed fsync rejects the commits it covered; their bytes do not come back after the heal', async (t) => {
  const dir = await tempDir(t);
  const ffs = new FaultFs();
  const store = await openStore(dir, ffs);
  await commitOne(store, 'g', 't', 0, off(1));
  ffs.inject({ op: 'sync', path: 'offsets.log' });
  const results = await Promise.allSettled([2, 3, 4].map((o) => commitOne(store, 'g', 't', o, off(o))));
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected', 'rejected'],
  );
  assert.match(String((results[0] as PromiseRejectedResult).reason), /fsync failed/);
  assert.equal(store.offset('g', 't', 2), undefined);
  await commitOne(store, 'g', 't', 5, off(5));
  await store.close();
  const again = await openStore(dir);
  t.after(() => again.close());
  assert.deepEqual([...again.offsets('g').get('t')!.keys()].sort(), [0, 5]);
});

test('a disk that keeps failing: every change is rejected, reads go on, close works; once it recovers so does the store', async (t) => {
  const dir = await tempDir(t);
  const ffs = new FaultFs();
  const store = await openStore(dir, ffs);
  await commitOne(store, 'g', 't', 0, off(1));
  ffs.inject({ op: 'write', path: /offsets\.log/, times: Infinity });
  for (let i = 0; i < 3; i++) {
    await assert.rejects(commitOne(store, 'g', 't', 1, off(2)), OffsetStoreStorageError);
    await assert.rejects(store.deleteTopic('t'), OffsetStoreStorageError);
  }
  assert.deepEqual(store.offset('g', 't', 0), off(1));
  ffs.clearFaults();
  await commitOne(store, 'g', 't', 1, off(3));
  assert.deepEqual(store.offset('g', 't', 1), off(3));
  await store.close();
  const again = await openStore(dir);
  assert.deepEqual(dump(again), dump(store));
  await again.close();

  const stuck = await openStore(dir, ffs);
  ffs.inject({ op: 'write', path: /offsets\.log/, times: Infinity });
  await assert.rejects(commitOne(stuck, 'g', 't', 2, off(4)), OffsetStoreStorageError);
  await stuck.close(); // resolves although nothing can be written
});

test('interval mode: a failed timer fsync marks the store failed and the next commit heals it', async (t) => {
  const dir = await tempDir(t);
  const ffs = new FaultFs();
  const store = await openStore(dir, ffs, { durability: { mode: 'interval', intervalMs: 10 } });
  ffs.inject({ op: 'sync', path: 'offsets.log' });
  await commitOne(store, 'g', 't', 0, off(1)); // acknowledged after its write
  await waitUntil(() => store.stats.failed, 'the failed interval fsync');
  await commitOne(store, 'g', 't', 1, off(2));
  assert.equal(store.stats.failed, false);
  await store.close();
  await ffs.crash();
  const again = await openStore(dir);
  t.after(() => again.close());
  assert.deepEqual([...again.offsets('g').get('t')!.keys()], [0, 1]);
});
