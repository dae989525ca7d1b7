// LeaveGroup through raw sockets: v0-2 (one member, top-level error) and v3-5 (batched members by id or
// instance id, one error each); leaving starts a rebalance, the last one to leave empties the group.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { JoinGroupApi, LeaveGroupApi } from '../../../src/protocol/messages/index.ts';
import { groupSetup, joinBody, soleMember } from './group-helpers.ts';

for (const version of [0, 1, 2]) {
  test(`LeaveGroup v${version}: one member, top-level error`, async (t) => {
    const { broker, client } = await groupSetup(t);
    const a = await soleMember(t, broker, { join: 3, sync: 1 });
    const leave = (memberId: string, groupId = 'g1') =>
      client.request(LeaveGroupApi, version, { groupId, memberId, members: [] });
    assert.equal((await leave('nobody')).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await leave(a.memberId, 'no-group')).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await leave(a.memberId, '')).errorCode, ErrorCode.INVALID_GROUP_ID);
    const res = await leave(a.memberId);
    assert.deepEqual([res.errorCode, res.members], [ErrorCode.NONE, []]);
    const group = broker.context.groups.group('g1')!;
    assert.deepEqual([group.state, group.generationId], ['Empty', 2]);
  });
}

for (const version of [3, 4, 5]) {
  test(`LeaveGroup v${version}: several members at once, one error each`, async (t) => {
    const { broker, client } = await groupSetup(t);
    const a = await soleMember(t, broker, { join: 5, sync: 3 });
    const staticJoin = await client.request(
      JoinGroupApi,
      5,
      joinBody({ groupId: 'g2', groupInstanceId: 'pod' }),
    );
    const res = await client.request(LeaveGroupApi, version, {
      groupId: 'g1',
      memberId: '',
      members: [
        { memberId: a.memberId, groupInstanceId: null, reason: 'shutting down' },
        { memberId: 'nobody', groupInstanceId: null, reason: null },
      ],
    });
    assert.equal(res.errorCode, ErrorCode.NONE);
    assert.deepEqual(res.members, [
      { memberId: a.memberId, groupInstanceId: null, errorCode: ErrorCode.NONE },
      { memberId: 'nobody', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID },
    ]);
    assert.equal(broker.context.groups.group('g1')?.state, 'Empty');
    // By instance id: another member id is fenced; with the right one (or none) the member goes.
    const byInstance = await client.request(LeaveGroupApi, version, {
      groupId: 'g2',
      memberId: '',
      members: [
        { memberId: 'stale-id', groupInstanceId: 'pod', reason: null },
        { memberId: staticJoin.memberId, groupInstanceId: 'pod', reason: null },
      ],
    });
    assert.deepEqual(
      byInstance.members.map((m) => m.errorCode),
      [ErrorCode.FENCED_INSTANCE_ID, ErrorCode.NONE],
    );
    assert.equal(broker.context.groups.group('g2')?.members.size, 0);
  });
}
