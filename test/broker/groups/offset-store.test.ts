// The offset store's API: round trips, replay after reopening (every kind of entry), bad input, close, the
// durability modes and group commit. Crashes, corruption and failures: offset-store-recovery.test.ts;
// compaction: offset-store-compaction.test.ts; a SIGKILLed process: offset-store-process.test.ts.
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { test } from 'node:test';
import { OffsetStoreClosedError } from '../../../src/broker/groups/offset-store.ts';
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

test('commit and read back: one offset, a group, the groups; unknown keys read as absent', async (t) => {
  const dir = await tempDir(t);
  const store = await openStore(dir);
  t.after(() => store.close());
  assert.equal(store.offset('g', 't', 0), undefined);
  assert.equal(store.offsets('g').size, 0);
  assert.deepEqual(store.groupsWithOffsets(), []);

  await store.commit('g', [
    { topic: 't', partition: 0, value: off(10, 'first') },
    { topic: 't', partition: 1, value: off(11) },
    { topic: 'u', partition: 0, value: off(12, '', -1) },
  ]);
  await commitOne(store, 'h', 't', 0, off(99));
  await commitOne(store, 'g', 't', 0, off(20, 'second', 3));

  assert.deepEqual(store.offset('g', 't', 0), off(20, 'second', 3));
  assert.deepEqual(store.offset('g', 'u', 0), off(12, '', -1));
  assert.equal(store.offset('g', 't', 2), undefined);
  assert.equal(store.offset('g', 'v', 0), undefined);
  assert.deepEqual(
    [...store.offsets('g')].map(([topic, ps]) => [topic, [...ps.keys()].sort()]),
    [
      ['t', [0, 1]],
      ['u', [0]],
    ],
  );
  assert.deepEqual(store.groupsWithOffsets().sort(), ['g', 'h']);
  assert.equal(store.group('g'), undefined);

  await store.putGroup('g', sampleGroup(1));
  assert.deepEqual(store.group('g'), sampleGroup(1));
  assert.deepEqual(store.groupsWithMetadata(), ['g']);
  await store.putGroup('g', null);
  assert.equal(store.group('g'), undefined);
  assert.deepEqual(store.groupsWithMetadata(), []);
  assert.deepEqual(store.offset('g', 't', 1), off(11), 'deleting the metadata keeps the offsets');
});

test('values are copied and frozen: changing what went in or came out changes nothing stored', async (t) => {
  const store = await openStore(await tempDir(t));
  t.after(() => store.close());
  const value = off(5, 'meta');
  const group = sampleGroup(7);
  await commitOne(store, 'g', 't', 0, value);
  await store.putGroup('g', group);
  value.offset = 666n;
  group.generationId = 666;
  group.members[0].assignment.fill(0);
  group.members.pop();
  assert.deepEqual(store.offset('g', 't', 0), off(5, 'meta'));
  assert.deepEqual(store.group('g'), sampleGroup(7));
  const read = store.offset('g', 't', 0)!;
  assert.throws(() => {
    read.offset = 1n;
  }, TypeError);
  const readGroup = store.group('g')!;
  assert.throws(() => readGroup.members.push(readGroup.members[0]), TypeError);
});

test('reopening replays everything: offsets, deletions of some, of a group, of a topic, and group metadata', async (t) => {
  const dir = await tempDir(t);
  const store = await openStore(dir);
  const maxOffset = { ...off(0), offset: 2n ** 63n - 1n };
  const bigMetadata = 'é'.repeat(16_000); // 32000 bytes of UTF-8, near the 32767 limit of a Kafka string
  const bigSubscription = Buffer.alloc(2 * 1024 * 1024, 7);
  const oddGroup = {
    protocolType: null,
    protocolName: null,
    generationId: 0,
    leaderId: null,
    members: [],
  };
  await store.commit('g1', [
    { topic: 'a', partition: 0, value: off(1, null) },
    { topic: 'a', partition: 1, value: off(2, '') },
    { topic: 'a', partition: 2, value: off(3, bigMetadata) },
    { topic: 'b', partition: 0, value: off(4, 'x', 2_147_483_647) },
    { topic: 'c', partition: 9, value: maxOffset },
  ]);
  await store.commit('g2', [
    { topic: 'a', partition: 0, value: off(10) },
    { topic: 'b', partition: 0, value: off(11) },
  ]);
  await store.commit('g3', [{ topic: 'a', partition: 0, value: off(20) }]);
  await store.commit('grüppe ☃', [{ topic: 'a', partition: 5, value: off(30, 'ünïcode ☃') }]);
  await store.deleteOffsets('g1', [
    { topic: 'a', partition: 1 },
    { topic: 'never', partition: 0 },
  ]);
  await store.deleteOffsets('g3');
  await store.deleteTopic('b');
  await store.putGroup('g1', sampleGroup(1));
  await store.putGroup('g1', sampleGroup(2, 3));
  await store.putGroup('g2', {
    ...sampleGroup(5, 1),
    members: [
      { ...sampleGroup(5, 1).members[0], subscription: bigSubscription, assignment: Buffer.alloc(0) },
    ],
  });
  await store.putGroup('odd', oddGroup);
  await store.putGroup('gone', sampleGroup(9));
  await store.putGroup('gone', null);
  const before = dump(store);
  await store.close();

  assert.deepEqual(before.offsets, {
    g1: { a: { 0: off(1, null), 2: off(3, bigMetadata) }, c: { 9: maxOffset } },
    g2: { a: { 0: off(10) } },
    'grüppe ☃': { a: { 5: off(30, 'ünïcode ☃') } },
  });
  assert.deepEqual(Object.keys(before.groups).sort(), ['g1', 'g2', 'odd']);

  const { logger, lines } = captureLogger();
  const again = await openStore(dir, undefined, { logger });
  t.after(() => again.close());
  assert.deepEqual(dump(again), before);
  assert.equal(again.offset('g1', 'a', 0)!.metadata, null, 'a null metadata string stays null, not ""');
  assert.equal(again.offset('g1', 'a', 2)!.metadata, bigMetadata);
  assert.ok(again.group('g2')!.members[0].subscription.equals(bigSubscription));
  assert.equal(again.group('gone'), undefined);
  assert.equal(lines.filter((l) => l.level === 'warn').length, 0, 'a clean file replays without warnings');
  const opened = lines.find((l) => l.msg === 'offset store opened');
  assert.equal(opened?.obj.entries, 13, '4 commits, 2 offset deletions, 1 topic deletion, 6 group puts');
});

test('bad input is refused with an error naming the argument, and nothing is written', async (t) => {
  const dir = await tempDir(t);
  const store = await openStore(dir);
  t.after(() => store.close());
  const sizeBefore = store.stats.fileBytes;
  const cases: [() => Promise<void>, RegExp][] = [
    [() => store.commit(5 as unknown as string, []), /commit: group must be a string/],
    [() => store.commit('g', 'x' as unknown as []), /entries must be an array/],
    [() => store.commit('g', [null as unknown as never]), /entries\[0\] must be an object/],
    [
      () => store.commit('g', [{ topic: '', partition: 0, value: off(1) }]),
      /entries\[0\]\.topic must not be empty/,
    ],
    [
      () => store.commit('g', [{ topic: 't', partition: -1, value: off(1) }]),
      /entries\[0\]\.partition must be an integer in \[0, 2147483647\], got -1/,
    ],
    [
      () => store.commit('g', [{ topic: 't', partition: 1.5, value: off(1) }]),
      /partition must be an integer/,
    ],
    [
      () =>
        store.commit('g', [
          { topic: 't', partition: 0, value: { ...off(1), offset: 5 as unknown as bigint } },
        ]),
      /value\.offset must be a bigint in the int64 range, got 5/,
    ],
    [
      () => store.commit('g', [{ topic: 't', partition: 0, value: { ...off(1), offset: 2n ** 63n } }]),
      /value\.offset must be a bigint/,
    ],
    [
      () => store.commit('g', [{ topic: 't', partition: 0, value: { ...off(1), leaderEpoch: -2 } }]),
      /value\.leaderEpoch must be an integer in \[-1,/,
    ],
    [
      () => store.commit('g', [{ topic: 't', partition: 0, value: off(1, 'x'.repeat(40_000)) }]),
      /value\.metadata is 40000 bytes of UTF-8; at most 32767/,
    ],
    [
      () => store.commit('g', [{ topic: 't', partition: 0, value: undefined as unknown as never }]),
      /value must be an object/,
    ],
    [
      () => store.deleteOffsets('g', [{ topic: 't', partition: 2 ** 31 }]),
      /partitions\[0\]\.partition must be an integer/,
    ],
    [() => store.deleteOffsets('g', {} as unknown as []), /partitions must be an array or undefined/],
    [() => store.deleteTopic(''), /deleteTopic: topic must not be empty/],
    [
      () => store.putGroup('g', { ...sampleGroup(1), generationId: 2 ** 31 }),
      /putGroup: group\.generationId must be an integer/,
    ],
    [
      () => store.putGroup('g', { ...sampleGroup(1), members: 'x' as unknown as [] }),
      /group\.members must be an array/,
    ],
    [
      () =>
        store.putGroup('g', {
          ...sampleGroup(1),
          members: [{ ...sampleGroup(1).members[0], assignment: 'x' as unknown as Buffer }],
        }),
      /group\.members\[0\]\.assignment must be a Buffer/,
    ],
    [
      () => store.putGroup('g', { ...sampleGroup(1), leaderId: 7 as unknown as string }),
      /group\.leaderId must be a string, got 7/,
    ],
  ];
  for (const [call, message] of cases) await assert.rejects(call, message);
  assert.equal(store.stats.fileBytes, sizeBefore);
  assert.deepEqual(dump(store), { offsets: {}, groups: {} });
  // Empty changes are accepted and write nothing.
  await store.commit('g', []);
  await store.deleteOffsets('g', []);
  assert.equal(store.stats.fileBytes, sizeBefore);
});

test('open refuses a bad compactAfterBytes or interval', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(
    openStore(dir, undefined, { compactAfterBytes: 10 }),
    /compactAfterBytes must be an integer >= 1024, got 10/,
  );
  await assert.rejects(
    openStore(dir, undefined, { durability: { mode: 'interval', intervalMs: 0 } }),
    /intervalMs must be > 0/,
  );
});

test('close waits for changes in flight; later changes reject with OffsetStoreClosedError; reads go on', async (t) => {
  const dir = await tempDir(t);
  const ffs = new FaultFs();
  const store = await openStore(dir, ffs);
  const release = ffs.hold('sync', 'offsets.log');
  const inFlight = Promise.all(Array.from({ length: 5 }, (_, i) => commitOne(store, 'g', 't', i, off(i))));
  await waitUntil(() => ffs.count('sync', 'offsets.log') >= 2, 'the commit fsync to start');
  const closing = store.close();
  const late = commitOne(store, 'g', 't', 9, off(9));
  await assert.rejects(late, (err: unknown) => err instanceof OffsetStoreClosedError && err.errorCode === 15);
  release();
  await inFlight;
  await closing;
  assert.equal(store.close(), closing, 'close is idempotent');
  assert.deepEqual(store.offset('g', 't', 4), off(4));
  const again = await openStore(dir);
  t.after(() => again.close());
  assert.deepEqual(dump(again), dump(store));
});

test('group commit: concurrent commits in fsync mode share fsyncs', async (t) => {
  const dir = await tempDir(t);
  const ffs = new FaultFs();
  const store = await openStore(dir, ffs);
  t.after(() => store.close());
  const syncs = () => ffs.count('sync', 'offsets.log');
  const atOpen = syncs();

  // 200 commits made in one synchronous burst: one write, one fsync.
  await Promise.all(Array.from({ length: 200 }, (_, i) => commitOne(store, `g${i % 7}`, 't', i, off(i))));
  assert.equal(syncs() - atOpen, 1);

  // Commits arriving while an fsync runs all wait for the next one, whatever their number.
  const release = ffs.hold('sync', 'offsets.log');
  const first = commitOne(store, 'g', 't', 0, off(1000));
  await waitUntil(() => syncs() === atOpen + 2, 'the first fsync to start');
  const more: Promise<void>[] = [];
  for (let i = 0; i < 300; i++) {
    more.push(commitOne(store, 'g', 'u', i, off(i)));
    if (i % 50 === 0) await new Promise((r) => setImmediate(r)); // arrivals spread over several turns
  }
  release();
  await Promise.all([first, ...more]);
  assert.equal(syncs() - atOpen, 3, '301 commits, two fsyncs');
  assert.equal(store.stats.syncs, 3);
  assert.equal(store.offsets('g').get('u')!.size, 300);
});

test('durability none writes without fsync; interval fsyncs on its timer; close fsyncs in every mode', async (t) => {
  for (const durability of [{ mode: 'none' as const }, { mode: 'interval' as const, intervalMs: 20 }]) {
    const dir = await tempDir(t);
    const ffs = new FaultFs();
    const store = await openStore(dir, ffs, { durability });
    const atOpen = ffs.count('sync', 'offsets.log');
    for (let i = 0; i < 20; i++) await commitOne(store, 'g', 't', i, off(i));
    if (durability.mode === 'none') {
      assert.equal(ffs.count('sync', 'offsets.log'), atOpen, 'none: no fsync per commit');
    } else {
      await waitUntil(() => ffs.count('sync', 'offsets.log') > atOpen, 'the interval fsync');
    }
    const beforeClose = ffs.count('sync', 'offsets.log');
    await store.close();
    assert.equal(ffs.count('sync', 'offsets.log'), beforeClose + 1, `${durability.mode}: close fsyncs`);
    // What close fsynced survives a power cut.
    await ffs.crash();
    const again = await openStore(dir);
    assert.equal(again.offsets('g').get('t')!.size, 20);
    await again.close();
  }
});

test('retainTopics drops the offsets of topics that no longer exist, in every group', async (t) => {
  const dir = await tempDir(t);
  const store = await openStore(dir);
  t.after(() => store.close());
  await store.commit('g1', [
    { topic: 'alive', partition: 0, value: off(1) },
    { topic: 'dead', partition: 0, value: off(2) },
  ]);
  await commitOne(store, 'g2', 'dead', 3, off(3));
  assert.deepEqual(await store.retainTopics((topic) => topic === 'alive'), ['dead']);
  assert.deepEqual(dump(store).offsets, { g1: { alive: { 0: off(1) } } });
  assert.deepEqual(await store.retainTopics(() => true), []);
});

test('the file lives at <dataDir>/__consumer_offsets/offsets.log and starts with a header', async (t) => {
  const dir = await tempDir(t);
  const store = await openStore(dir);
  await store.close();
  const size = (await stat(storeFile(dir))).size;
  assert.ok(size > 9 && size < 64, `header only: ${size} bytes`);
});
