// Heartbeat through raw sockets at versions 0-4: fine while Stable, REBALANCE_IN_PROGRESS once another
// member joins (how members learn to rejoin), and the membership errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { HeartbeatApi, JoinGroupApi } from '../../../src/protocol/messages/index.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { groupSetup, joinBody, joinMember, soleMember } from './group-helpers.ts';

for (const version of [0, 1, 2, 3, 4]) {
  test(`Heartbeat v${version}: NONE while Stable, REBALANCE_IN_PROGRESS when a member joins, then errors`, async (t) => {
    const { broker } = await groupSetup(t);
    const a = await soleMember(t, broker, { join: 5, sync: 3 });
    const beat = async (
      overrides: {
        groupId?: string;
        memberId?: string;
        generationId?: number;
        groupInstanceId?: string | null;
      } = {},
    ) =>
      (
        await a.client.request(HeartbeatApi, version, {
          groupId: 'g1',
          memberId: a.memberId,
          generationId: 1,
          groupInstanceId: null,
          ...overrides,
        })
      ).errorCode;
    assert.equal(await beat(), ErrorCode.NONE);
    assert.equal(await beat({ generationId: 2 }), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(await beat({ memberId: 'nobody' }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await beat({ groupId: 'other' }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await beat({ groupId: '' }), ErrorCode.INVALID_GROUP_ID);
    const bJoin = joinMember(t, broker, 5);
    await waitFor(() => broker.context.groups.group('g1')?.state === 'PreparingRebalance', {
      what: 'rebalance',
    });
    assert.equal(await beat(), ErrorCode.REBALANCE_IN_PROGRESS);
    await a.client.request(JoinGroupApi, 5, joinBody({ memberId: a.memberId }));
    await bJoin;
    // Between the join and the sync (CompletingRebalance), the new generation's heartbeats are fine.
    assert.equal(await beat({ generationId: 2 }), ErrorCode.NONE);
    assert.equal(await beat({ generationId: 1 }), ErrorCode.ILLEGAL_GENERATION);
  });
}

test('Heartbeat v3+: a static member heartbeating with an old member id is FENCED_INSTANCE_ID', async (t) => {
  const { broker, client } = await groupSetup(t);
  const first = await client.request(JoinGroupApi, 5, joinBody({ groupInstanceId: 'pod' }));
  const second = await client.request(JoinGroupApi, 5, joinBody({ groupInstanceId: 'pod' }));
  assert.notEqual(first.memberId, second.memberId);
  const res = await client.request(HeartbeatApi, 3, {
    groupId: 'g1',
    memberId: first.memberId,
    generationId: second.generationId,
    groupInstanceId: 'pod',
  });
  assert.equal(res.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.ok(broker.context.groups.group('g1'));
});
