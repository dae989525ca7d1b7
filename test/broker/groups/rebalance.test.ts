// The classic group state machine, driven through the coordinator with a fake clock: joins, the protocol
// vote, syncs, heartbeats, leaves, and every timer (session, rebalance, sync, pending member, initial delay).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GroupCoordinator } from '../../../src/broker/groups/coordinator.ts';
import type { JoinResult } from '../../../src/broker/groups/member.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import {
  assignment,
  harness,
  joinNew,
  joinRequest,
  settled,
  subscription,
  type Harness,
} from './coordinator-harness.ts';

/** Brings `n` dynamic members into one Stable generation; returns their ids (leader first) and the generation. */
async function stableGroup(
  h: Harness,
  n: number,
  groupId = 'g1',
): Promise<{ ids: string[]; generation: number }> {
  const { coordinator } = h;
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const first = await coordinator.join(joinRequest({ groupId, clientId: `c${i}` }));
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    ids.push(first.memberId);
  }
  // The ids handed out are pending: the rebalance waits for all of them to join.
  const joins = ids.map((memberId, i) =>
    coordinator.join(joinRequest({ groupId, memberId, clientId: `c${i}` })),
  );
  // With an initial rebalance delay, the first generation waits for it.
  if (!(await settled(joins[0]))) h.clock.advance(1000);
  const results = await Promise.all(joins);
  const generation = results[0].generationId;
  const leader = results[0].leader;
  for (const r of results) {
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.generationId, generation);
    assert.equal(r.leader, leader);
    assert.equal(r.members.length, r.memberId === leader ? n : 0);
  }
  const syncs = ids.map((memberId) =>
    coordinator.sync(groupId, {
      generationId: generation,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments:
        memberId === leader ? ids.map((id, i) => ({ memberId: id, assignment: assignment(i) })) : [],
    }),
  );
  const synced = await Promise.all(syncs);
  synced.forEach((s, i) => assert.deepEqual([s.errorCode, s.assignment], [ErrorCode.NONE, assignment(i)]));
  assert.equal(coordinator.group(groupId)?.state, 'Stable');
  return { ids: [leader, ...ids.filter((id) => id !== leader)], generation };
}

function heartbeat(
  coordinator: GroupCoordinator,
  memberId: string,
  generation: number,
  groupId = 'g1',
): number {
  return coordinator.heartbeat(groupId, memberId, null, generation);
}

test('dynamic members: MEMBER_ID_REQUIRED, one generation for all, leader gets the members, sync hands out assignments', async (t) => {
  const h = await harness(t);
  const { ids, generation } = await stableGroup(h, 3);
  assert.equal(generation, 1);
  assert.ok(
    ids.every((id) => /^c\d-[0-9a-f-]{36}$/.test(id)),
    ids.join(),
  );
  const described = h.coordinator.describe('g1');
  assert.equal(described.groupState, 'Stable');
  assert.equal(described.protocolData, 'range');
  assert.equal(described.members.length, 3);
  for (const id of ids) assert.equal(heartbeat(h.coordinator, id, 1), ErrorCode.NONE);
});

test('a new member makes the others rejoin: heartbeat says REBALANCE_IN_PROGRESS, the next generation has everyone', async (t) => {
  const h = await harness(t);
  const { ids } = await stableGroup(h, 2);
  const newcomer = await joinNew(h.coordinator, { clientId: 'late' });
  assert.equal(h.coordinator.group('g1')?.state, 'PreparingRebalance');
  assert.equal(heartbeat(h.coordinator, ids[0], 1), ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(heartbeat(h.coordinator, ids[1], 1), ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(await settled(newcomer.joined), false);
  const rejoins = ids.map((memberId) => h.coordinator.join(joinRequest({ memberId })));
  const results = await Promise.all([newcomer.joined, ...rejoins]);
  assert.deepEqual(
    results.map((r) => [r.errorCode, r.generationId]),
    [
      [0, 2],
      [0, 2],
      [0, 2],
    ],
  );
  // The leader stays the leader when it rejoins.
  assert.ok(results.every((r) => r.leader === ids[0]));
  assert.equal(h.coordinator.group('g1')?.state, 'CompletingRebalance');
  // Old generation: ILLEGAL_GENERATION; the new one: fine while completing.
  assert.equal(heartbeat(h.coordinator, ids[1], 1), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(heartbeat(h.coordinator, ids[1], 2), ErrorCode.NONE);
});

test('protocol vote among the protocols every member supports; mismatches are INCONSISTENT_GROUP_PROTOCOL', async (t) => {
  const h = await harness(t);
  const meta = subscription('events');
  const offers = [
    ['range', 'roundrobin'],
    ['roundrobin', 'range'],
    ['roundrobin', 'sticky'],
  ];
  const ids: string[] = [];
  for (const names of offers) {
    const r = await h.coordinator.join(
      joinRequest({ protocols: names.map((name) => ({ name, metadata: meta })) }),
    );
    ids.push(r.memberId);
  }
  const joins = ids.map((memberId, i) =>
    h.coordinator.join(
      joinRequest({ memberId, protocols: offers[i].map((name) => ({ name, metadata: meta })) }),
    ),
  );
  const results = await Promise.all(joins);
  assert.ok(results.every((r) => r.protocolName === 'roundrobin'));

  const noShared = await h.coordinator.join(joinRequest({ protocols: [{ name: 'range', metadata: meta }] }));
  assert.equal(noShared.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const otherType = await h.coordinator.join(
    joinRequest({ protocolType: 'connect', protocols: [{ name: 'roundrobin', metadata: meta }] }),
  );
  assert.equal(otherType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const none = await h.coordinator.join(joinRequest({ groupId: 'fresh', protocols: [] }));
  assert.equal(none.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  // The refused join left no group behind.
  assert.equal(h.coordinator.group('fresh'), undefined);
});

test('JoinGroup validation: empty group id, session timeout bounds, unknown member, pre-v4 joins at once', async (t) => {
  const h = await harness(t);
  const codes = async (overrides: Parameters<typeof joinRequest>[0]) =>
    (await h.coordinator.join(joinRequest(overrides))).errorCode;
  assert.equal(await codes({ groupId: '' }), ErrorCode.INVALID_GROUP_ID);
  assert.equal(await codes({ sessionTimeoutMs: 999 }), ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal(await codes({ sessionTimeoutMs: 600_001 }), ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal(await codes({ memberId: 'made-up' }), ErrorCode.UNKNOWN_MEMBER_ID);
  // Before v4 (no MEMBER_ID_REQUIRED) a member without an id is added at once.
  const old = await h.coordinator.join(joinRequest({ groupId: 'v3', requireKnownMemberId: false }));
  assert.deepEqual([old.errorCode, old.generationId, old.leader], [0, 1, old.memberId]);
  assert.equal(await codes({ groupId: 'v3', memberId: 'made-up' }), ErrorCode.UNKNOWN_MEMBER_ID);
});

test('session timeout: a silent member is removed and the group rebalances without it', async (t) => {
  const h = await harness(t);
  const { ids } = await stableGroup(h, 2);
  const [a, b] = ids;
  for (let i = 0; i < 2; i++) {
    h.clock.advance(4000);
    assert.equal(heartbeat(h.coordinator, a, 1), ErrorCode.NONE);
  }
  h.clock.advance(4000);
  // b never heartbeat: 12 s > its 10 s session.
  assert.equal(heartbeat(h.coordinator, b, 1), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(heartbeat(h.coordinator, a, 1), ErrorCode.REBALANCE_IN_PROGRESS);
  const rejoined = await h.coordinator.join(joinRequest({ memberId: a }));
  assert.deepEqual([rejoined.errorCode, rejoined.generationId, rejoined.members.length], [0, 2, 1]);
});

test('rebalance timeout: members that do not rejoin in time are dropped and the others answered', async (t) => {
  const h = await harness(t);
  const { ids } = await stableGroup(h, 3);
  const [a, b, c] = ids;
  const aJoin = h.coordinator.join(joinRequest({ memberId: a }));
  h.clock.advance(5000);
  assert.equal(heartbeat(h.coordinator, b, 1), ErrorCode.REBALANCE_IN_PROGRESS);
  const bJoin = h.coordinator.join(joinRequest({ memberId: b }));
  // c keeps heartbeating (its session stays alive) but never rejoins.
  for (let elapsed = 5000; elapsed < 29_000; elapsed += 3000) {
    h.clock.advance(3000);
    assert.equal(heartbeat(h.coordinator, c, 1), ErrorCode.REBALANCE_IN_PROGRESS);
  }
  assert.equal(await settled(aJoin), false);
  h.clock.advance(2000); // 30 s: the rebalance timeout
  const [ra, rb] = await Promise.all([aJoin, bJoin]);
  assert.deepEqual([ra.generationId, rb.generationId], [2, 2]);
  assert.deepEqual(ra.members.map((m) => m.memberId).sort(), [a, b].sort());
  assert.equal(heartbeat(h.coordinator, c, 2), ErrorCode.UNKNOWN_MEMBER_ID);
});

test('sync timeout: a member that never sends SyncGroup is removed and a new rebalance starts', async (t) => {
  const h = await harness(t);
  const { ids } = await stableGroup(h, 2);
  const [a, b] = ids;
  const joins = await Promise.all([a, b].map((memberId) => h.coordinator.join(joinRequest({ memberId }))));
  assert.ok(joins.every((j) => j.generationId === 2));
  // a (the leader) syncs; b never does. a's answer waits for nobody: it has the assignments.
  const aSync = await h.coordinator.sync('g1', {
    generationId: 2,
    memberId: a,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [
      { memberId: a, assignment: assignment(0, 1) },
      { memberId: b, assignment: assignment(2, 3) },
    ],
  });
  assert.deepEqual(aSync.assignment, assignment(0, 1));
  // b heartbeats (its session stays alive) but never syncs.
  for (let elapsed = 0; elapsed < 25_000; elapsed += 5000) {
    h.clock.advance(5000);
    assert.equal(heartbeat(h.coordinator, a, 2), ErrorCode.NONE);
    assert.equal(heartbeat(h.coordinator, b, 2), ErrorCode.NONE);
  }
  h.clock.advance(5000); // 30 s: the rebalance timeout after the join phase
  assert.equal(h.coordinator.group('g1')?.state, 'PreparingRebalance');
  assert.equal(heartbeat(h.coordinator, b, 2), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(heartbeat(h.coordinator, a, 2), ErrorCode.REBALANCE_IN_PROGRESS);
});

test('a follower parked in SyncGroup is answered when the leader brings the assignment, or told to rejoin', async (t) => {
  const h = await harness(t);
  const { ids } = await stableGroup(h, 2);
  const [a, b] = ids;
  await Promise.all([a, b].map((memberId) => h.coordinator.join(joinRequest({ memberId }))));
  const sync = (memberId: string, generationId = 2) =>
    h.coordinator.sync('g1', {
      generationId,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [],
    });
  const parked = sync(b);
  assert.equal(await settled(parked), false);
  assert.equal((await sync(b, 1)).errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal((await sync('stranger')).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const wrongProtocol = await h.coordinator.sync('g1', {
    generationId: 2,
    memberId: b,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'roundrobin',
    assignments: [],
  });
  assert.equal(wrongProtocol.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  // A third member joins before the leader syncs: the parked sync is told to rejoin.
  await joinNew(h.coordinator, { clientId: 'late' });
  assert.equal((await parked).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal((await sync(a)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
});

test('the leader leaves some members out: they get an empty assignment', async (t) => {
  const h = await harness(t);
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) ids.push((await h.coordinator.join(joinRequest())).memberId);
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
  const leaderSync = await h.coordinator.sync('g1', {
    generationId: 1,
    memberId: leader,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [
      { memberId: leader, assignment: assignment(0, 1, 2, 3) },
      { memberId: 'not-a-member', assignment: assignment(9) },
    ],
  });
  assert.deepEqual(leaderSync.assignment, assignment(0, 1, 2, 3));
  assert.equal((await followerSync).assignment.length, 0);
});

test('initial rebalance delay: a new group waits, and each member arriving in the delay extends it', async (t) => {
  const h = await harness(t, { initialRebalanceDelayMs: 300 });
  const a = await joinNew(h.coordinator, { clientId: 'a' });
  h.clock.advance(200);
  const b = await joinNew(h.coordinator, { clientId: 'b' });
  h.clock.advance(100); // the first 300 ms are over, but b arrived in them: another 300 ms
  assert.equal(await settled(a.joined), false);
  h.clock.advance(299);
  assert.equal(await settled(a.joined), false);
  h.clock.advance(1);
  const [ra, rb] = await Promise.all([a.joined, b.joined]);
  assert.deepEqual([ra.generationId, rb.generationId], [1, 1]);
  assert.equal(ra.members.length + rb.members.length, 2);
});

test('a member id handed out with MEMBER_ID_REQUIRED and never used expires after the session timeout', async (t) => {
  const h = await harness(t);
  const first = await h.coordinator.join(joinRequest({ groupId: 'ghost' }));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.equal(h.coordinator.list().length, 1);
  h.clock.advance(10_000);
  assert.deepEqual(h.coordinator.list(), []);
  assert.equal(h.clock.pending, 0);
  // Meanwhile in a real group, a pending member holds up a rebalance until it joins or expires.
  const { ids } = await stableGroup(h, 1);
  const pending = await h.coordinator.join(joinRequest({ clientId: 'slow' }));
  const rejoin = h.coordinator.join(joinRequest({ memberId: ids[0] }));
  assert.equal(h.coordinator.group('g1')?.state, 'PreparingRebalance');
  assert.equal(await settled(rejoin), false);
  h.clock.advance(10_000);
  const r = await rejoin;
  assert.deepEqual([r.errorCode, r.generationId], [ErrorCode.NONE, 2]);
  assert.deepEqual(
    r.members.map((m) => m.memberId),
    [ids[0]],
  );
  assert.notEqual(pending.memberId, ids[0]);
});

test('a second JoinGroup from the same member supersedes the parked one (answered REBALANCE_IN_PROGRESS)', async (t) => {
  const h = await harness(t);
  const { ids } = await stableGroup(h, 2);
  const first = h.coordinator.join(joinRequest({ memberId: ids[0] }));
  const second = h.coordinator.join(joinRequest({ memberId: ids[0] }));
  assert.equal((await first).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  const third = h.coordinator.join(joinRequest({ memberId: ids[1] }));
  const results: JoinResult[] = await Promise.all([second, third]);
  assert.ok(results.every((r) => r.errorCode === 0 && r.generationId === 2));
});

test('a Stable follower rejoining unchanged gets the current generation; the leader rejoining starts a rebalance', async (t) => {
  const h = await harness(t);
  const { ids } = await stableGroup(h, 2);
  const [leader, follower] = ids;
  const same = await h.coordinator.join(joinRequest({ memberId: follower }));
  assert.deepEqual([same.errorCode, same.generationId, same.members.length], [0, 1, 0]);
  assert.equal(h.coordinator.group('g1')?.state, 'Stable');
  const leaderJoin = h.coordinator.join(joinRequest({ memberId: leader }));
  assert.equal(h.coordinator.group('g1')?.state, 'PreparingRebalance');
  const followerJoin = h.coordinator.join(joinRequest({ memberId: follower }));
  const [rl, rf] = await Promise.all([leaderJoin, followerJoin]);
  assert.deepEqual([rl.generationId, rl.members.length, rf.members.length], [2, 2, 0]);
});

test('LeaveGroup: batched, per-member errors; the last member leaving empties the group (generation advances)', async (t) => {
  const h = await harness(t);
  const { ids } = await stableGroup(h, 3);
  const [a, b, c] = ids;
  const left = h.coordinator.leave('g1', [
    { memberId: b, groupInstanceId: null },
    { memberId: 'nobody', groupInstanceId: null },
    { memberId: '', groupInstanceId: 'no-such-instance' },
  ]);
  assert.deepEqual(left, {
    errorCode: 0,
    members: [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID],
  });
  assert.equal(h.coordinator.group('g1')?.state, 'PreparingRebalance');
  assert.deepEqual(h.coordinator.leave('g1', [{ memberId: c, groupInstanceId: null }]).members, [0]);
  // a alone is left; its rejoin completes the rebalance at once.
  const r = await h.coordinator.join(joinRequest({ memberId: a }));
  assert.deepEqual([r.generationId, r.members.length], [2, 1]);
  assert.deepEqual(h.coordinator.leave('g1', [{ memberId: a, groupInstanceId: null }]).members, [0]);
  const group = h.coordinator.group('g1')!;
  assert.equal(group.state, 'Empty');
  assert.equal(group.generationId, 3);
  assert.deepEqual(h.coordinator.leave('nope', [{ memberId: a, groupInstanceId: null }]), {
    errorCode: 0,
    members: [ErrorCode.UNKNOWN_MEMBER_ID],
  });
  assert.equal(h.clock.pending, 0);
});

test('a member that leaves while its JoinGroup is parked gets UNKNOWN_MEMBER_ID; the others complete', async (t) => {
  const h = await harness(t);
  const { ids } = await stableGroup(h, 3);
  const joins = ids.slice(0, 2).map((memberId) => h.coordinator.join(joinRequest({ memberId })));
  h.coordinator.leave('g1', [{ memberId: ids[1], groupInstanceId: null }]);
  assert.equal((await joins[1]).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(await settled(joins[0]), false);
  h.coordinator.leave('g1', [{ memberId: ids[2], groupInstanceId: null }]);
  assert.deepEqual([(await joins[0]).generationId, (await joins[0]).members.length], [2, 1]);
});

test('shutdown answers parked JoinGroup and SyncGroup with NOT_COORDINATOR and leaves no timer running', async (t) => {
  const h = await harness(t, { initialRebalanceDelayMs: 50 });
  const { ids } = await stableGroup(h, 2);
  const join = h.coordinator.join(joinRequest({ memberId: ids[0] }));
  const other = await joinNew(h.coordinator, { groupId: 'g2' });
  assert.ok(h.clock.pending > 0);
  h.coordinator.close();
  assert.equal((await join).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal((await other.joined).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(h.clock.pending, 0);
  assert.equal((await h.coordinator.join(joinRequest())).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(heartbeat(h.coordinator, ids[1], 1), ErrorCode.NOT_COORDINATOR);
});

test('a parked SyncGroup is answered NOT_COORDINATOR at shutdown', async (t) => {
  const h = await harness(t);
  const { ids } = await stableGroup(h, 2);
  await Promise.all(ids.map((memberId) => h.coordinator.join(joinRequest({ memberId }))));
  const parked = h.coordinator.sync('g1', {
    generationId: 2,
    memberId: ids[1],
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [],
  });
  h.coordinator.close();
  assert.equal((await parked).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(h.clock.pending, 0);
});
