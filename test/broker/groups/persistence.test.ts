// Group metadata through the offset store: what is stored when a generation becomes Stable or the group
// Empty, what a restarted coordinator makes of it, and what happens when the store fails or is slow.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { assignment, harness, joinRequest, settled, type Harness } from './coordinator-harness.ts';

/** Two dynamic members in a Stable generation 1; returns [leader, follower]. */
async function twoMembers(h: Harness): Promise<[string, string]> {
  const ids: string[] = [];
  for (const clientId of ['a', 'b']) ids.push((await h.coordinator.join(joinRequest({ clientId }))).memberId);
  const joined = await Promise.all(ids.map((memberId) => h.coordinator.join(joinRequest({ memberId }))));
  const leader = joined[0].leader;
  const follower = ids.find((id) => id !== leader)!;
  const followerSync = h.coordinator.sync('g1', {
    generationId: 1,
    memberId: follower,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [],
  });
  await h.coordinator.sync('g1', {
    generationId: 1,
    memberId: leader,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [
      { memberId: leader, assignment: assignment(0, 1) },
      { memberId: follower, assignment: assignment(2, 3) },
    ],
  });
  assert.deepEqual((await followerSync).assignment, assignment(2, 3));
  return [leader, follower];
}

test('a Stable generation is stored; after a restart the group continues it and heartbeating members keep their assignment', async (t) => {
  const h = await harness(t);
  const [leader, follower] = await twoMembers(h);
  const stored = h.store.group('g1')!;
  assert.deepEqual(
    { ...stored, members: stored.members.map((m) => [m.memberId, m.assignment.toString()]).sort() },
    {
      protocolType: 'consumer',
      protocolName: 'range',
      generationId: 1,
      leaderId: leader,
      members: [
        [leader, 'events:0,1'],
        [follower, 'events:2,3'],
      ].sort(),
    },
  );

  await h.restart();
  const described = h.coordinator.describe('g1');
  assert.equal(described.groupState, 'Stable');
  assert.equal(described.protocolData, 'range');
  assert.deepEqual(
    described.members.map((m) => [m.memberId, m.memberAssignment.toString()]).sort(),
    [
      [leader, 'events:0,1'],
      [follower, 'events:2,3'],
    ].sort(),
  );
  // The follower's client survived the broker restart and heartbeats on; the leader's did not.
  for (let i = 0; i < 4; i++) {
    h.clock.advance(3000);
    assert.equal(
      h.coordinator.heartbeat('g1', follower, null, 1),
      i < 3 ? ErrorCode.NONE : ErrorCode.REBALANCE_IN_PROGRESS,
    );
  }
  const rejoined = await h.coordinator.join(joinRequest({ memberId: follower }));
  // The generation continues from the stored one: never reused.
  assert.deepEqual([rejoined.errorCode, rejoined.generationId, rejoined.leader], [0, 2, follower]);
});

test('an emptied group is stored with its generation; after a restart the next generation follows it', async (t) => {
  const h = await harness(t);
  const [leader, follower] = await twoMembers(h);
  h.coordinator.leave('g1', [
    { memberId: leader, groupInstanceId: null },
    { memberId: follower, groupInstanceId: null },
  ]);
  assert.equal(h.coordinator.group('g1')?.state, 'Empty');
  await h.coordinator.flush();
  assert.deepEqual(h.store.group('g1'), {
    protocolType: 'consumer',
    protocolName: null,
    generationId: 2,
    leaderId: null,
    members: [],
  });
  await h.restart();
  assert.deepEqual(h.coordinator.list(), [
    { groupId: 'g1', protocolType: 'consumer', groupState: 'Empty', groupType: 'classic' },
  ]);
  const first = await h.coordinator.join(joinRequest());
  const joined = await h.coordinator.join(joinRequest({ memberId: first.memberId }));
  assert.equal(joined.generationId, 3);
});

test('groups known only by their committed offsets come back Empty after a restart', async (t) => {
  const h = await harness(t);
  await h.coordinator.offsets.commit({
    groupId: 'offsets-only',
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [
      { name: 'events', partitions: [{ partitionIndex: 0, offset: 3n, leaderEpoch: -1, metadata: null }] },
    ],
  });
  await h.restart();
  assert.deepEqual(h.coordinator.list(), [
    { groupId: 'offsets-only', protocolType: '', groupState: 'Empty', groupType: 'classic' },
  ]);
});

test('SyncGroup answers wait until the assignment is stored', async (t) => {
  const h = await harness(t);
  const ids: string[] = [];
  for (const clientId of ['a', 'b']) ids.push((await h.coordinator.join(joinRequest({ clientId }))).memberId);
  const joined = await Promise.all(ids.map((memberId) => h.coordinator.join(joinRequest({ memberId }))));
  const leader = joined[0].leader;
  const release = h.fs.hold('write', 'offsets.log');
  const syncs = ids.map((memberId) =>
    h.coordinator.sync('g1', {
      generationId: 1,
      memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments:
        memberId === leader ? ids.map((id, i) => ({ memberId: id, assignment: assignment(i) })) : [],
    }),
  );
  assert.equal(await settled(Promise.all(syncs)), false);
  assert.equal(h.coordinator.group('g1')?.state, 'CompletingRebalance');
  release();
  const results = await Promise.all(syncs);
  assert.deepEqual(
    results.map((r) => r.assignment),
    ids.map((_, i) => assignment(i)),
  );
  assert.equal(h.coordinator.group('g1')?.state, 'Stable');
});

test('a failed store write at SyncGroup answers the store’s error and starts a new rebalance', async (t) => {
  const h = await harness(t);
  const ids: string[] = [];
  for (const clientId of ['a', 'b']) ids.push((await h.coordinator.join(joinRequest({ clientId }))).memberId);
  const joined = await Promise.all(ids.map((memberId) => h.coordinator.join(joinRequest({ memberId }))));
  const leader = joined[0].leader;
  h.fs.inject({ op: 'write', path: 'offsets.log' });
  const syncs = ids.map((memberId) =>
    h.coordinator.sync('g1', {
      generationId: 1,
      memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: memberId === leader ? [{ memberId, assignment: assignment(0) }] : [],
    }),
  );
  const results = await Promise.all(syncs);
  assert.deepEqual(
    results.map((r) => r.errorCode),
    [ErrorCode.NOT_COORDINATOR, ErrorCode.NOT_COORDINATOR],
  );
  assert.equal(h.coordinator.group('g1')?.state, 'PreparingRebalance');
  // The members rejoin and the store has healed: the next generation completes.
  const again = await Promise.all(ids.map((memberId) => h.coordinator.join(joinRequest({ memberId }))));
  assert.ok(again.every((r) => r.generationId === 2));
});
