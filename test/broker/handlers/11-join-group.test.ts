// JoinGroup through raw sockets at versions 0-9: MEMBER_ID_REQUIRED from v4, the leader's member list,
// protocol type (v7+) and name, static members (v5+), skipAssignment (v9), and each validation error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { JoinGroupApi } from '../../../src/protocol/messages/index.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { groupSetup, joinBody, joinMember, MEMBER_ID_REQUIRED, subscription } from './group-helpers.ts';

for (const version of [0, 1, 3, 4, 5, 6, 7, 8, 9]) {
  test(`JoinGroup v${version}: two members, one generation each time, the leader gets the members`, async (t) => {
    const { broker } = await groupSetup(t);
    const a = await joinMember(t, broker, version);
    assert.equal(a.response.errorCode, ErrorCode.NONE);
    assert.deepEqual(
      [a.response.generationId, a.response.leader, a.response.protocolName],
      [1, a.memberId, 'range'],
    );
    assert.match(a.memberId, /^raw-client-[0-9a-f-]{36}$/);
    assert.equal(a.response.members.length, 1);
    if (version >= 7) assert.equal(a.response.protocolType, 'consumer');
    if (version >= 9) assert.equal(a.response.skipAssignment, false);

    // b's join parks until a rejoins (a learns of the rebalance; here it just rejoins).
    const bJoin = joinMember(t, broker, version);
    await waitFor(() => broker.context.groups.group('g1')?.state === 'PreparingRebalance', {
      what: 'the rebalance started by the second member',
    });
    const aAgain = await a.client.request(JoinGroupApi, version, joinBody({ memberId: a.memberId }));
    const b = await bJoin;
    assert.deepEqual([aAgain.errorCode, b.response.errorCode], [0, 0]);
    assert.deepEqual([aAgain.generationId, b.response.generationId], [2, 2]);
    assert.equal(aAgain.leader, a.memberId);
    assert.equal(b.response.leader, a.memberId);
    assert.deepEqual(aAgain.members.map((m) => m.memberId).sort(), [a.memberId, b.memberId].sort());
    assert.deepEqual(b.response.members, []);
    assert.deepEqual(aAgain.members.find((m) => m.memberId === b.memberId)?.metadata, subscription('events'));
  });
}

test('JoinGroup v4+: MEMBER_ID_REQUIRED hands out the member id; before v4 a member is added at once', async (t) => {
  const { client } = await groupSetup(t);
  const first = await client.request(JoinGroupApi, 4, joinBody());
  assert.equal(first.errorCode, MEMBER_ID_REQUIRED);
  assert.match(first.memberId, /^raw-client-/);
  assert.equal(first.generationId, -1);
  const v3 = await client.request(JoinGroupApi, 3, joinBody({ groupId: 'old' }));
  assert.deepEqual([v3.errorCode, v3.generationId], [0, 1]);
});

test('JoinGroup v5+: a static member joins without MEMBER_ID_REQUIRED and is listed with its instance id', async (t) => {
  const { client } = await groupSetup(t);
  for (const [i, version] of [5, 9].entries()) {
    const res = await client.request(
      JoinGroupApi,
      version,
      joinBody({ groupId: `s${i}`, groupInstanceId: 'pod-1' }),
    );
    assert.equal(res.errorCode, ErrorCode.NONE);
    assert.match(res.memberId, /^pod-1-/);
    assert.deepEqual(res.members, [
      { memberId: res.memberId, groupInstanceId: 'pod-1', metadata: subscription('events') },
    ]);
  }
});

for (const version of [0, 6, 9]) {
  test(`JoinGroup v${version}: validation errors`, async (t) => {
    const { client } = await groupSetup(t);
    const code = async (overrides: Parameters<typeof joinBody>[0]) =>
      (await client.request(JoinGroupApi, version, joinBody(overrides))).errorCode;
    assert.equal(await code({ groupId: '' }), ErrorCode.INVALID_GROUP_ID);
    assert.equal(await code({ sessionTimeoutMs: 999 }), ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal(await code({ sessionTimeoutMs: 30 * 60_000 + 1 }), ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal(await code({ memberId: 'made-up' }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await code({ protocols: [] }), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal(await code({ protocolType: '' }), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const err = await client.request(JoinGroupApi, version, joinBody({ groupId: '' }));
    assert.deepEqual([err.generationId, err.leader, err.members], [-1, '', []]);
    assert.equal(err.protocolName, version >= 7 ? null : '');
  });
}

test('JoinGroup: another protocol type, or no protocol in common, is INCONSISTENT_GROUP_PROTOCOL', async (t) => {
  const { broker, client } = await groupSetup(t);
  await joinMember(t, broker, 5);
  const other = [{ name: 'roundrobin', metadata: subscription('events') }];
  assert.equal(
    (await client.request(JoinGroupApi, 3, joinBody({ protocols: other }))).errorCode,
    ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  );
  assert.equal(
    (await client.request(JoinGroupApi, 3, joinBody({ protocolType: 'connect' }))).errorCode,
    ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  );
});

test('JoinGroup: a parked join is answered NOT_COORDINATOR when the broker shuts down', async (t) => {
  const { broker } = await groupSetup(t, { groupInitialRebalanceDelayMs: 60_000 });
  const client = await RawClient.connect(broker.port);
  t.after(() => client.close());
  const first = await client.request(JoinGroupApi, 5, joinBody());
  const correlationId = client.send(JoinGroupApi, 5, joinBody({ memberId: first.memberId }));
  await waitFor(() => broker.context.groups.group('g1')?.state === 'PreparingRebalance', {
    what: 'the join',
  });
  const closing = broker.close();
  const res = await client.receive(JoinGroupApi, 5, correlationId);
  assert.equal(res.errorCode, ErrorCode.NOT_COORDINATOR);
  await closing;
});
