// The fault-injecting fs itself: its crash model is what the crash tests rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FaultFs } from '../../../src/broker/log/fault-fs.ts';
import { tempDir } from './helpers.ts';

const bytes = (s: string) => Buffer.from(s);

test('crash keeps synced bytes, drops the unsynced tail, or keeps part of it (torn write)', async (t) => {
  const dir = await tempDir(t);
  for (const [keep, expected] of [
    [0, 'synced'],
    [3, 'synceduns'],
  ] as const) {
    const path = join(dir, `f${keep}`);
    const ffs = new FaultFs();
    const f = await ffs.open(path, 'create');
    await ffs.syncDir(dir);
    await f.write([bytes('synced')], 0);
    await f.sync();
    await f.write([bytes('unsynced')], 6);
    await ffs.crash({ keepUnsyncedBytes: keep });
    assert.equal(await readFile(path, 'utf8'), expected);
    await assert.rejects(f.write([bytes('x')], 0), /after crash/);
    await assert.rejects(ffs.open(path, 'read'), /after crash/);
  }
});

test('crash restores synced bytes that were overwritten later', async (t) => {
  const path = join(await tempDir(t), 'f');
  await writeFile(path, 'AAAAAAAA');
  const ffs = new FaultFs();
  const f = await ffs.open(path, 'readWrite');
  await f.write([bytes('BB')], 2);
  await f.write([bytes('CCCC')], 6);
  await ffs.crash();
  assert.equal(await readFile(path, 'utf8'), 'AAAAAAAA');
});

test('a created file vanishes in a crash unless its directory was synced', async (t) => {
  const dir = await tempDir(t);
  const ffs = new FaultFs();
  const kept = await ffs.open(join(dir, 'kept'), 'create');
  await kept.sync();
  await ffs.syncDir(dir);
  const lost = await ffs.open(join(dir, 'lost'), 'create');
  await lost.write([bytes('data')], 0);
  await lost.sync();
  await ffs.crash();
  assert.deepEqual(await readdir(dir), ['kept']);
});

test('faults: the Nth matching write fails, partially; syncs fail; holds wait; counts', async (t) => {
  const dir = await tempDir(t);
  const ffs = new FaultFs();
  const f = await ffs.open(join(dir, 'a.log'), 'create');
  const rule = ffs.inject({ op: 'write', path: 'a.log', skip: 1, partialBytes: 2 });
  await f.write([bytes('one')], 0);
  await assert.rejects(f.write([bytes('two')], 3), (err: NodeJS.ErrnoException) => err.code === 'EIO');
  assert.equal(await readFile(join(dir, 'a.log'), 'utf8'), 'onetw');
  await f.write([bytes('three')], 5);
  assert.equal(rule.failed, 1);
  ffs.inject({ op: 'sync', code: 'ENOSPC' });
  await assert.rejects(f.sync(), (err: NodeJS.ErrnoException) => err.code === 'ENOSPC');
  await f.sync();
  const release = ffs.hold('sync');
  let done = false;
  const syncing = f.sync().then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false);
  release();
  await syncing;
  assert.equal(ffs.count('write', /a\.log$/), 3);
  assert.equal(ffs.count('sync'), 3);
  await f.close();
});

test('flipBit flips one bit on disk', async (t) => {
  const path = join(await tempDir(t), 'f');
  await writeFile(path, Buffer.from([0, 0, 0]));
  await new FaultFs().flipBit(path, 1, 7);
  assert.deepEqual([...(await readFile(path))], [0, 128, 0]);
});
