// SyncGroup through raw sockets at versions 0-5: the follower parked until the leader's assignments
// arrive, an empty assignment for members the leader left out, v5's protocol checks, and the errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { JoinGroupApi, SyncGroupApi } from '../../../src/protocol/messages/index.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { groupSetup, joinBody, joinMember, sync, syncBody } from './group-helpers.ts';

for (const version of [0, 1, 3, 4, 5]) {
  test(`SyncGroup v${version}: the follower waits for the leader's assignment`, async (t) => {
    const { broker } = await groupSetup(t);
    const joinVersion = version >= 4 ? 6 : 3;
    const a = await joinMember(t, broker, joinVersion);
    const bJoin = joinMember(t, broker, joinVersion);
    await waitFor(() => broker.context.groups.group('g1')?.state === 'PreparingRebalance', {
      what: 'rebalance',
    });
    await a.client.request(JoinGroupApi, joinVersion, joinBody({ memberId: a.memberId }));
    const b = await bJoin;
    const generationId = b.response.generationId;
    const followerSync = sync(b.client, version, { generationId, memberId: b.memberId });
    const leaderSync = await sync(a.client, version, {
      generationId,
      memberId: a.memberId,
      assignments: [
        { memberId: a.memberId, assignment: Buffer.from('a-part') },
        { memberId: b.memberId, assignment: Buffer.from('b-part') },
      ],
    });
    const follower = await followerSync;
    assert.deepEqual([leaderSync.errorCode, leaderSync.assignment.toString()], [0, 'a-part']);
    assert.deepEqual([follower.errorCode, follower.assignment.toString()], [0, 'b-part']);
    if (version >= 5) {
      assert.deepEqual([follower.protocolType, follower.protocolName], ['consumer', 'range']);
    }
    // Stable: a repeated SyncGroup gets the stored assignment at once.
    const again = await sync(b.client, version, { generationId, memberId: b.memberId });
    assert.equal(again.assignment.toString(), 'b-part');
  });
}

test('SyncGroup: members the leader leaves out get an empty assignment', async (t) => {
  const { broker } = await groupSetup(t);
  const a = await joinMember(t, broker, 5);
  const bJoin = joinMember(t, broker, 5);
  await waitFor(() => broker.context.groups.group('g1')?.state === 'PreparingRebalance', {
    what: 'rebalance',
  });
  await a.client.request(JoinGroupApi, 5, joinBody({ memberId: a.memberId }));
  const b = await bJoin;
  const followerSync = sync(b.client, 3, { generationId: 2, memberId: b.memberId });
  await sync(a.client, 3, {
    generationId: 2,
    memberId: a.memberId,
    assignments: [{ memberId: a.memberId, assignment: Buffer.from('everything') }],
  });
  assert.deepEqual((await followerSync).assignment, Buffer.alloc(0));
});

test('SyncGroup errors: unknown group or member, wrong generation, v5 protocol mismatch, during a rebalance', async (t) => {
  const { broker, client } = await groupSetup(t);
  const a = await joinMember(t, broker, 5);
  const code = async (version: number, overrides: Parameters<typeof syncBody>[0]) =>
    (await client.request(SyncGroupApi, version, syncBody(overrides))).errorCode;
  assert.equal(await code(3, { groupId: 'nope', memberId: a.memberId }), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(await code(3, { memberId: 'nobody' }), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(await code(3, { memberId: a.memberId, generationId: 7 }), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(
    await code(5, { memberId: a.memberId, protocolType: 'connect' }),
    ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  );
  assert.equal(
    await code(5, { memberId: a.memberId, protocolName: 'roundrobin' }),
    ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  );
  assert.equal(await code(0, { groupId: '', memberId: a.memberId }), ErrorCode.INVALID_GROUP_ID);
  // A second member starts a rebalance: the first one's SyncGroup is told to rejoin.
  void joinMember(t, broker, 5).catch(() => undefined);
  await waitFor(() => broker.context.groups.group('g1')?.state === 'PreparingRebalance', {
    what: 'rebalance',
  });
  assert.equal(await code(5, { memberId: a.memberId }), ErrorCode.REBALANCE_IN_PROGRESS);
});
