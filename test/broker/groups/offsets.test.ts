// Committed offsets through the coordinator: who may commit (simple commits, members, generations, the
// rebalance states), per-partition refusals, fetch semantics, store failures, OffsetDelete and DeleteGroups.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CommitRequest } from '../../../src/broker/groups/offsets.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { harness, joinNew, joinRequest, type Harness } from './coordinator-harness.ts';

type Partition = CommitRequest['topics'][number]['partitions'][number];

const at = (partitionIndex: number, offset: bigint, metadata: string | null = null): Partition => ({
  partitionIndex,
  offset,
  leaderEpoch: 0,
  metadata,
});

async function commit(
  h: Harness,
  req: Partial<CommitRequest> & { topics: CommitRequest['topics'] },
): Promise<number[][]> {
  const result = await h.coordinator.offsets.commit({
    groupId: 'g1',
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    ...req,
  });
  return result.map((t) => t.partitions.map((p) => p.errorCode));
}

/** One dynamic member in a Stable generation 1 of g1, subscribed to "events". */
async function oneMember(h: Harness): Promise<string> {
  const { memberId, joined } = await joinNew(h.coordinator);
  assert.equal((await joined).generationId, 1);
  const s = await h.coordinator.sync('g1', {
    generationId: 1,
    memberId,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [],
  });
  assert.equal(s.errorCode, 0);
  return memberId;
}

test('simple commits (generation -1) create an Empty group; a generation on an absent group is ILLEGAL_GENERATION', async (t) => {
  const h = await harness(t);
  assert.deepEqual(
    await commit(h, { generationId: 3, topics: [{ name: 'events', partitions: [at(0, 1n)] }] }),
    [[ErrorCode.ILLEGAL_GENERATION]],
  );
  assert.deepEqual(h.coordinator.list(), []);
  assert.deepEqual(
    await commit(h, { topics: [{ name: 'events', partitions: [at(0, 10n), at(1, 20n, 'm')] }] }),
    [[0, 0]],
  );
  assert.deepEqual(h.coordinator.list(), [
    { groupId: 'g1', protocolType: '', groupState: 'Empty', groupType: 'classic' },
  ]);
  const fetched = h.coordinator.offsets.fetch('g1', [{ name: 'events', partitions: [0, 1, 2] }]);
  assert.deepEqual(
    fetched[0].partitions.map((p) => [
      p.partitionIndex,
      p.committedOffset,
      p.committedLeaderEpoch,
      p.metadata,
      p.errorCode,
    ]),
    [
      [0, 10n, 0, '', 0],
      [1, 20n, 0, 'm', 0],
      [2, -1n, -1, '', 0],
    ],
  );
});

test('commits from members: generation, member, rebalance state checks; refreshed session', async (t) => {
  const h = await harness(t);
  const member = await oneMember(h);
  const events = [{ name: 'events', partitions: [at(0, 5n)] }];
  assert.deepEqual(await commit(h, { generationId: 1, memberId: member, topics: events }), [[0]]);
  assert.deepEqual(await commit(h, { generationId: 2, memberId: member, topics: events }), [
    [ErrorCode.ILLEGAL_GENERATION],
  ]);
  assert.deepEqual(await commit(h, { generationId: 1, memberId: 'nobody', topics: events }), [
    [ErrorCode.UNKNOWN_MEMBER_ID],
  ]);
  // A simple commit while the group has members is not allowed.
  assert.deepEqual(await commit(h, { topics: events }), [[ErrorCode.UNKNOWN_MEMBER_ID]]);
  // Commits refresh the session: commit every 6 s for 30 s, the 10 s session never expires.
  for (let i = 0; i < 5; i++) {
    h.clock.advance(6000);
    assert.deepEqual(await commit(h, { generationId: 1, memberId: member, topics: events }), [[0]]);
  }
  // A newcomer starts a rebalance: commits of the current generation still go through (revocation commits).
  const newcomer = await joinNew(h.coordinator, { clientId: 'late' });
  assert.equal(h.coordinator.group('g1')?.state, 'PreparingRebalance');
  assert.deepEqual(await commit(h, { generationId: 1, memberId: member, topics: events }), [[0]]);
  const rejoined = h.coordinator.join(joinRequest({ memberId: member }));
  await Promise.all([rejoined, newcomer.joined]);
  assert.equal(h.coordinator.group('g1')?.state, 'CompletingRebalance');
  assert.deepEqual(await commit(h, { generationId: 2, memberId: member, topics: events }), [
    [ErrorCode.REBALANCE_IN_PROGRESS],
  ]);
});

test('per partition: unknown topic or partition, metadata too large; the rest is committed', async (t) => {
  const h = await harness(t);
  const codes = await commit(h, {
    topics: [
      {
        name: 'events',
        partitions: [at(0, 1n), at(4, 1n), at(1, 2n, 'x'.repeat(4097)), at(2, 3n, 'y'.repeat(4096))],
      },
      { name: 'nope', partitions: [at(0, 1n)] },
    ],
  });
  assert.deepEqual(codes, [
    [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.OFFSET_METADATA_TOO_LARGE, 0],
    [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
  ]);
  const all = h.coordinator.offsets.fetch('g1', null);
  assert.deepEqual(
    all.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])]),
    [
      [
        'events',
        [
          [0, 1n],
          [2, 3n],
        ],
      ],
    ],
  );
});

test('OffsetFetch of an unknown group or partition: offset -1, no error', async (t) => {
  const h = await harness(t);
  const fetched = h.coordinator.offsets.fetch('never-seen', [{ name: 'events', partitions: [3] }]);
  assert.deepEqual(fetched, [
    {
      name: 'events',
      partitions: [
        { partitionIndex: 3, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
      ],
    },
  ]);
  assert.deepEqual(h.coordinator.offsets.fetch('never-seen', null), []);
});

test('a failed store write answers the store’s error per partition and keeps what was committed before', async (t) => {
  const h = await harness(t);
  assert.deepEqual(await commit(h, { topics: [{ name: 'events', partitions: [at(0, 7n)] }] }), [[0]]);
  h.fs.inject({ op: 'write', path: 'offsets.log' });
  assert.deepEqual(await commit(h, { topics: [{ name: 'events', partitions: [at(0, 8n), at(1, 9n)] }] }), [
    [ErrorCode.NOT_COORDINATOR, ErrorCode.NOT_COORDINATOR],
  ]);
  assert.equal(h.store.offset('g1', 'events', 0)?.offset, 7n);
  // The store heals: the next commit goes through.
  assert.deepEqual(await commit(h, { topics: [{ name: 'events', partitions: [at(0, 9n)] }] }), [[0]]);
  assert.equal(h.store.offset('g1', 'events', 0)?.offset, 9n);
});

test('OffsetDelete: an empty group loses the offsets; subscribed topics of a consumer group are kept', async (t) => {
  const h = await harness(t);
  await commit(h, {
    topics: [
      { name: 'events', partitions: [at(0, 1n), at(1, 1n)] },
      { name: 'audit', partitions: [at(0, 1n)] },
    ],
  });
  const empty = await h.coordinator.offsets.deleteOffsets('g1', [
    { name: 'events', partitions: [1, 9] },
    { name: 'ghost', partitions: [0] },
  ]);
  assert.deepEqual(empty, {
    errorCode: 0,
    topics: [
      {
        name: 'events',
        partitions: [
          { partitionIndex: 1, errorCode: 0 },
          { partitionIndex: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
        ],
      },
      { name: 'ghost', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
    ],
  });
  assert.equal(h.store.offset('g1', 'events', 1), undefined);
  assert.equal(h.store.offset('g1', 'events', 0)?.offset, 1n);

  await oneMember(h); // subscribed to "events"
  const live = await h.coordinator.offsets.deleteOffsets('g1', [
    { name: 'events', partitions: [0] },
    { name: 'audit', partitions: [0] },
  ]);
  assert.deepEqual(
    live.topics.map((t) => t.partitions.map((p) => p.errorCode)),
    [[ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC], [0]],
  );
  assert.equal(h.store.offset('g1', 'events', 0)?.offset, 1n);
  assert.equal(h.store.offset('g1', 'audit', 0), undefined);

  assert.equal(
    (await h.coordinator.offsets.deleteOffsets('none', [])).errorCode,
    ErrorCode.GROUP_ID_NOT_FOUND,
  );
  assert.equal((await h.coordinator.offsets.deleteOffsets('', [])).errorCode, ErrorCode.INVALID_GROUP_ID);
});

test('OffsetDelete: a non-consumer group with members refuses; unreadable subscriptions count as every topic', async (t) => {
  const h = await harness(t);
  const connect = await joinNew(h.coordinator, {
    groupId: 'workers',
    protocolType: 'connect',
    protocols: [{ name: 'v1', metadata: Buffer.from('opaque') }],
  });
  await connect.joined;
  assert.equal(
    (await h.coordinator.offsets.deleteOffsets('workers', [{ name: 'events', partitions: [0] }])).errorCode,
    ErrorCode.NON_EMPTY_GROUP,
  );
  const odd = await joinNew(h.coordinator, {
    groupId: 'odd',
    protocols: [{ name: 'range', metadata: Buffer.from([0xff]) }],
  });
  await odd.joined;
  const refused = await h.coordinator.offsets.deleteOffsets('odd', [{ name: 'audit', partitions: [1] }]);
  assert.equal(refused.topics[0].partitions[0].errorCode, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
});

test('DeleteGroups: only Empty groups, with their offsets; unknown ones are GROUP_ID_NOT_FOUND', async (t) => {
  const h = await harness(t);
  const member = await oneMember(h);
  await commit(h, {
    generationId: 1,
    memberId: member,
    topics: [{ name: 'events', partitions: [at(0, 4n)] }],
  });
  assert.equal(await h.coordinator.deleteGroup('g1'), ErrorCode.NON_EMPTY_GROUP);
  assert.equal(await h.coordinator.deleteGroup('unknown'), ErrorCode.GROUP_ID_NOT_FOUND);
  h.coordinator.leave('g1', [{ memberId: member, groupInstanceId: null }]);
  assert.equal(h.coordinator.group('g1')?.state, 'Empty');
  assert.equal(await h.coordinator.deleteGroup('g1'), ErrorCode.NONE);
  assert.equal(h.store.offsets('g1').size, 0);
  assert.equal(h.store.group('g1'), undefined);
  assert.deepEqual(h.coordinator.list(), []);
  assert.equal(h.coordinator.describe('g1').groupState, 'Dead');
  assert.equal(await h.coordinator.deleteGroup('g1'), ErrorCode.GROUP_ID_NOT_FOUND);
  await h.restart();
  assert.deepEqual(h.coordinator.list(), []);
});
