// Static members (group.instance.id): no MEMBER_ID_REQUIRED, a restarted instance takes over its place
// without a rebalance when nothing changed, and older incarnations are fenced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SyncRequest } from '../../../src/broker/groups/coordinator.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { assignment, harness, joinRequest, subscription, type Harness } from './coordinator-harness.ts';

const sync = (h: Harness, req: Partial<SyncRequest> & { memberId: string; generationId: number }) =>
  h.coordinator.sync('g1', {
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [],
    ...req,
  });

/** Two static members ("i1" leader, "i2") in a Stable generation 1 (needs an initial rebalance delay). */
async function staticGroup(h: Harness): Promise<{ m1: string; m2: string }> {
  const j1 = h.coordinator.join(joinRequest({ groupInstanceId: 'i1' }));
  const j2 = h.coordinator.join(joinRequest({ groupInstanceId: 'i2' }));
  // The initial delay of the new group: both land in generation 1.
  h.clock.advance(1000);
  const [r1, r2] = await Promise.all([j1, j2]);
  assert.deepEqual([r1.errorCode, r2.errorCode], [0, 0]);
  assert.ok(r1.memberId.startsWith('i1-') && r2.memberId.startsWith('i2-'));
  assert.equal(r1.leader, r1.memberId);
  const s2 = sync(h, { memberId: r2.memberId, groupInstanceId: 'i2', generationId: 1 });
  const s1 = await sync(h, {
    memberId: r1.memberId,
    groupInstanceId: 'i1',
    generationId: 1,
    assignments: [
      { memberId: r1.memberId, assignment: assignment(0, 1) },
      { memberId: r2.memberId, assignment: assignment(2, 3) },
    ],
  });
  assert.deepEqual(s1.assignment, assignment(0, 1));
  assert.deepEqual((await s2).assignment, assignment(2, 3));
  return { m1: r1.memberId, m2: r2.memberId };
}

test('a static member joins without MEMBER_ID_REQUIRED', async (t) => {
  const h = await harness(t);
  const r = await h.coordinator.join(joinRequest({ groupInstanceId: 'solo' }));
  assert.deepEqual([r.errorCode, r.generationId, r.leader], [0, 1, r.memberId]);
});

test('a restarted static member takes over its place without a rebalance; the old id is fenced', async (t) => {
  const h = await harness(t, { initialRebalanceDelayMs: 100 });
  const { m1, m2 } = await staticGroup(h);
  // i2 restarts: joins without a member id, same protocols.
  const again = await h.coordinator.join(joinRequest({ groupInstanceId: 'i2' }));
  assert.equal(again.errorCode, ErrorCode.NONE);
  assert.notEqual(again.memberId, m2);
  assert.deepEqual([again.generationId, again.leader, again.members.length], [1, m1, 0]);
  assert.equal(h.coordinator.group('g1')?.state, 'Stable');
  const s = await sync(h, { memberId: again.memberId, groupInstanceId: 'i2', generationId: 1 });
  assert.deepEqual(s.assignment, assignment(2, 3));
  // The old incarnation is fenced everywhere.
  assert.equal(h.coordinator.heartbeat('g1', m2, 'i2', 1), ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(
    (await sync(h, { memberId: m2, groupInstanceId: 'i2', generationId: 1 })).errorCode,
    ErrorCode.FENCED_INSTANCE_ID,
  );
  assert.equal(
    (await h.coordinator.join(joinRequest({ memberId: m2, groupInstanceId: 'i2' }))).errorCode,
    ErrorCode.FENCED_INSTANCE_ID,
  );
  const commit = await h.coordinator.offsets.commit({
    groupId: 'g1',
    generationId: 1,
    memberId: m2,
    groupInstanceId: 'i2',
    topics: [
      { name: 'events', partitions: [{ partitionIndex: 2, offset: 5n, leaderEpoch: -1, metadata: null }] },
    ],
  });
  assert.equal(commit[0].partitions[0].errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(h.coordinator.heartbeat('g1', again.memberId, 'i2', 1), ErrorCode.NONE);
  assert.equal(h.coordinator.heartbeat('g1', m1, 'i1', 1), ErrorCode.NONE);
});

test('a restarted static leader gets the member list with skipAssignment and keeps the assignment', async (t) => {
  const h = await harness(t, { initialRebalanceDelayMs: 100 });
  const { m2 } = await staticGroup(h);
  const again = await h.coordinator.join(joinRequest({ groupInstanceId: 'i1' }));
  assert.equal(again.leader, again.memberId);
  assert.equal(again.skipAssignment, true);
  assert.deepEqual(again.members.map((m) => m.groupInstanceId).sort(), ['i1', 'i2']);
  // Its SyncGroup in a Stable group changes nothing.
  const s = await sync(h, {
    memberId: again.memberId,
    groupInstanceId: 'i1',
    generationId: 1,
    assignments: [{ memberId: again.memberId, assignment: assignment(0, 1, 2, 3) }],
  });
  assert.deepEqual(s.assignment, assignment(0, 1));
  assert.deepEqual(
    (await sync(h, { memberId: m2, groupInstanceId: 'i2', generationId: 1 })).assignment,
    assignment(2, 3),
  );
});

test('a restarted static member whose protocols change the chosen one triggers a rebalance', async (t) => {
  const h = await harness(t, { initialRebalanceDelayMs: 100 });
  const both = [
    { name: 'range', metadata: subscription('events') },
    { name: 'roundrobin', metadata: subscription('events') },
  ];
  const joins = ['i1', 'i2'].map((id) =>
    h.coordinator.join(joinRequest({ groupInstanceId: id, protocols: both })),
  );
  h.clock.advance(1000);
  const [r1, r2] = await Promise.all(joins);
  assert.equal(r1.protocolName, 'range');
  await Promise.all(
    [r1, r2].map((r, i) =>
      sync(h, { memberId: r.memberId, groupInstanceId: `i${i + 1}`, generationId: 1, assignments: [] }),
    ),
  );
  // Same protocol chosen, other metadata: no rebalance (Kafka rebalances only if the choice changes).
  const sameChoice = await h.coordinator.join(
    joinRequest({
      groupInstanceId: 'i2',
      protocols: [both[0], { ...both[1], metadata: subscription('audit') }],
    }),
  );
  assert.deepEqual([sameChoice.errorCode, sameChoice.generationId], [0, 1]);
  assert.equal(h.coordinator.group('g1')?.state, 'Stable');
  // Only roundrobin now: the group would choose roundrobin, so it rebalances.
  const changed = h.coordinator.join(joinRequest({ groupInstanceId: 'i2', protocols: [both[1]] }));
  assert.equal(h.coordinator.group('g1')?.state, 'PreparingRebalance');
  assert.equal(h.coordinator.heartbeat('g1', r1.memberId, 'i1', 1), ErrorCode.REBALANCE_IN_PROGRESS);
  const rejoin = h.coordinator.join(
    joinRequest({ memberId: r1.memberId, groupInstanceId: 'i1', protocols: both }),
  );
  const [rc, rr] = await Promise.all([changed, rejoin]);
  assert.deepEqual([rc.generationId, rc.protocolName, rr.protocolName], [2, 'roundrobin', 'roundrobin']);
});

test('a static member that does not rejoin keeps its place through the join phase; LeaveGroup by instance id', async (t) => {
  const h = await harness(t, { initialRebalanceDelayMs: 100 });
  const { m1, m2 } = await staticGroup(h);
  // m1 (leader) rejoins: rebalance. m2 keeps heartbeating but does not rejoin.
  const j1 = h.coordinator.join(joinRequest({ memberId: m1, groupInstanceId: 'i1' }));
  for (let i = 0; i < 6; i++) {
    h.clock.advance(5000);
    h.coordinator.heartbeat('g1', m2, 'i2', 1);
  }
  const r1 = await j1;
  // The static member is still a member of generation 2 (Kafka keeps static members through the join phase).
  assert.deepEqual(r1.members.map((m) => m.memberId).sort(), [m1, m2].sort());
  // Leaving by instance id: a wrong member id is fenced, the right one (or none) removes it.
  assert.deepEqual(h.coordinator.leave('g1', [{ memberId: 'someone-else', groupInstanceId: 'i2' }]).members, [
    ErrorCode.FENCED_INSTANCE_ID,
  ]);
  assert.deepEqual(h.coordinator.leave('g1', [{ memberId: '', groupInstanceId: 'i2' }]).members, [0]);
  assert.equal(h.coordinator.group('g1')?.members.size, 1);
});
