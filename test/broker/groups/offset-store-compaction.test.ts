// Compaction of the offset store: the file stays small under commits that keep overwriting the same keys,
// a reopen gives the same state, commits that race a compaction (acknowledged while it is written, or
// queued while it is installed) are not lost, and a failed, interrupted or abandoned compaction costs
// nothing that was acknowledged.
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { test } from 'node:test';
import type { OffsetStore } from '../../../src/broker/groups/offset-store.ts';
import { FaultFs } from '../../../src/broker/log/fault-fs.ts';
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

const THRESHOLD = 4096;

// Opening a new store already synced and renamed offsets.log.tmp once (the file is created atomically), so
// the tests count operations on it from after the open.
const tmpOps = (ffs: FaultFs, op: 'sync' | 'rename') => ffs.count(op, 'offsets.log.tmp');

/** Commits to a few keys, over and over, until `done()` holds. */
async function churn(store: OffsetStore, done: () => boolean, what: string): Promise<number> {
  for (let i = 0; i < 100_000; i++) {
    if (done()) return i;
    await commitOne(store, 'churn', 't', i % 3, off(i, 'some metadata'));
  }
  throw new Error(`churned 100000 commits without ${what}`);
}

async function leftovers(dataDir: string): Promise<string[]> {
  return (await readdir(dirname(storeFile(dataDir)))).filter((f) => f !== 'offsets.log');
}

test('many commits to the same keys: the file shrinks below the threshold and a reopen gives the same state', async (t) => {
  const dir = await tempDir(t);
  const { logger, lines } = captureLogger();
  const store = await openStore(dir, undefined, { compactAfterBytes: THRESHOLD, logger });
  await store.putGroup('g', sampleGroup(1));
  let written = 0;
  for (let i = 0; i < 3000; i++) {
    const value = off(i, i % 2 ? null : `meta-${i}`);
    await store.commit(`g${i % 4}`, [
      { topic: 'a', partition: i % 5, value },
      { topic: 'b', partition: 0, value },
    ]);
    written += 1;
    if (i === 1500) await store.putGroup('g', sampleGroup(2, 5));
  }
  await store.deleteOffsets('g3');
  await waitUntil(() => store.stats.fileBytes < THRESHOLD, 'the last compaction');
  assert.ok(store.stats.compactions >= 10, `${store.stats.compactions} compactions for ${written} commits`);
  assert.equal((await stat(storeFile(dir))).size, store.stats.fileBytes);
  assert.deepEqual(await leftovers(dir), []);
  const compacted = lines.filter((l) => l.msg === 'offset store compacted');
  assert.ok(compacted.every((l) => (l.obj.afterBytes as number) < (l.obj.beforeBytes as number)));
  const before = dump(store);
  assert.equal(Object.keys(before.offsets).length, 3);
  await store.close();

  const again = await openStore(dir);
  t.after(() => again.close());
  assert.deepEqual(dump(again), before);
  assert.deepEqual(again.group('g'), sampleGroup(2, 5));
  assert.deepEqual(again.offset('g2', 'a', 4), off(2994, `meta-2994`));
});

test('a file that is mostly live data is not compacted, however large', async (t) => {
  const dir = await tempDir(t);
  const store = await openStore(dir, undefined, { compactAfterBytes: THRESHOLD });
  t.after(() => store.close());
  for (let p = 0; p < 400; p++) await commitOne(store, 'g', 't', p, off(p, 'metadata that is kept'));
  assert.ok(store.stats.fileBytes > 4 * THRESHOLD);
  assert.ok(store.stats.liveBytes * 2 > store.stats.fileBytes, JSON.stringify(store.stats));
  assert.equal(store.stats.compactions, 0);
});

test('commits racing a compaction survive: acknowledged while it is written, and queued while it is installed', async (t) => {
  const dir = await tempDir(t);
  const ffs = new FaultFs();
  const store = await openStore(dir, ffs, { compactAfterBytes: THRESHOLD });
  await store.putGroup('g', sampleGroup(1));
  const [syncs, renames] = [tmpOps(ffs, 'sync'), tmpOps(ffs, 'rename')];
  const releaseTmpSync = ffs.hold('sync', 'offsets.log.tmp');
  await churn(store, () => tmpOps(ffs, 'sync') > syncs, 'a compaction');

  // The compacted file is written but its fsync waits: these are acknowledged through the old file.
  await commitOne(store, 'g', 'racer', 0, off(1));
  await store.putGroup('g', sampleGroup(2));
  await store.deleteOffsets('churn', [{ topic: 't', partition: 2 }]);
  assert.equal(store.stats.compactions, 0);

  const releaseRename = ffs.hold('rename', 'offsets.log.tmp');
  releaseTmpSync();
  await waitUntil(() => tmpOps(ffs, 'rename') > renames, 'the install to reach its rename');
  // The writer is inside the install: this one waits in the queue and goes to the new file.
  const queued = commitOne(store, 'g', 'racer', 1, off(2));
  releaseRename();
  await queued;
  assert.equal(store.stats.compactions, 1);
  const expected = dump(store);
  assert.deepEqual(expected.offsets.g, { racer: { 0: off(1), 1: off(2) } });
  assert.equal(expected.offsets.churn.t[2], undefined);

  await ffs.crash(); // fsync mode: all of it was durable when acknowledged
  const again = await openStore(dir);
  t.after(() => again.close());
  assert.deepEqual(dump(again), expected);
  assert.deepEqual(again.group('g'), sampleGroup(2));
});

test('a crash in the middle of a compaction: the old file is used and the half-made one removed', async (t) => {
  const dir = await tempDir(t);
  const ffs = new FaultFs();
  const store = await openStore(dir, ffs, { compactAfterBytes: THRESHOLD });
  const [syncs, renames] = [tmpOps(ffs, 'sync'), tmpOps(ffs, 'rename')];
  // Hold the compaction in its background fsync (commits go on meanwhile), then let it run into its rename,
  // which the writer does: from then on no commit could complete, so none is made.
  const releaseSync = ffs.hold('sync', 'offsets.log.tmp');
  await churn(store, () => tmpOps(ffs, 'sync') > syncs, 'a compaction');
  const release = ffs.hold('rename', 'offsets.log.tmp');
  releaseSync();
  await waitUntil(() => tmpOps(ffs, 'rename') > renames, 'the install to reach its rename');
  const acked = dump(store);
  await ffs.crash({ keepUnsyncedEntries: true }); // the .tmp survives too
  release();
  assert.deepEqual(await leftovers(dir), ['offsets.log.tmp']);

  const { logger, lines } = captureLogger();
  const again = await openStore(dir, undefined, { logger });
  t.after(() => again.close());
  assert.deepEqual(dump(again), acked);
  assert.ok(lines.some((l) => l.msg === 'removed the file of an unfinished offset store compaction'));
  assert.deepEqual(await leftovers(dir), []);
});

test('a failed compaction leaves commits alone, is logged, and is tried again once the file has grown', async (t) => {
  const dir = await tempDir(t);
  const ffs = new FaultFs();
  const { logger, lines } = captureLogger();
  const store = await openStore(dir, ffs, { compactAfterBytes: THRESHOLD, logger });
  t.after(() => store.close());
  const fault = ffs.inject({ op: 'write', path: 'offsets.log.tmp' });
  await churn(store, () => fault.failed === 1, 'the failed compaction');
  await waitUntil(
    () => lines.some((l) => l.msg === 'offset store compaction failed; the current file stays in use'),
    'the warning',
  );
  const warn = lines.find((l) => l.msg === 'offset store compaction failed; the current file stays in use')!;
  assert.ok((warn.obj.retryAtBytes as number) > THRESHOLD);
  assert.equal(store.stats.failed, false, 'a failed compaction is not a failed store');
  assert.deepEqual(await leftovers(dir), []);
  await churn(store, () => store.stats.compactions >= 1, 'the retried compaction');
  await store.close();
  const again = await openStore(dir);
  t.after(() => again.close());
  assert.deepEqual(dump(again), dump(store));
});

test('closing during a compaction abandons it: no temporary file, nothing lost', async (t) => {
  const dir = await tempDir(t);
  const ffs = new FaultFs();
  const store = await openStore(dir, ffs, { compactAfterBytes: THRESHOLD });
  const syncs = tmpOps(ffs, 'sync');
  const release = ffs.hold('sync', 'offsets.log.tmp');
  await churn(store, () => tmpOps(ffs, 'sync') > syncs, 'a compaction');
  const acked = dump(store);
  const closing = store.close();
  release();
  await closing;
  assert.equal(store.stats.compactions, 0);
  assert.deepEqual(await leftovers(dir), []);
  const again = await openStore(dir);
  t.after(() => again.close());
  assert.deepEqual(dump(again), acked);
});

test('a failed directory fsync after the rename marks the store failed; the next commit heals it, nothing rejected', async (t) => {
  const dir = await tempDir(t);
  const ffs = new FaultFs();
  const { logger, lines } = captureLogger();
  const store = await openStore(dir, ffs, { compactAfterBytes: THRESHOLD, logger });
  const fault = ffs.inject({ op: 'syncDir', path: '__consumer_offsets' });
  await churn(store, () => fault.failed === 1 && !store.stats.failed, 'the failed install and its heal');
  assert.ok(
    lines.some(
      (l) => l.level === 'error' && /finishing a compaction after its rename failed/.test(l.msg ?? ''),
    ),
  );
  assert.ok(lines.some((l) => l.msg === 'offset store compacted' && l.obj.healed === true));
  const acked = dump(store);
  await ffs.crash();
  const again = await openStore(dir);
  t.after(() => again.close());
  assert.deepEqual(dump(again), acked);
});
