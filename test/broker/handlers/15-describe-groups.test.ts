// DescribeGroups and ListGroups through raw sockets: states as strings, the chosen protocol and the
// members' metadata and assignments while Stable, unknown groups "Dead" without error, authorized
// operations, ListGroups' state (v4+) and type (v5) filters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DescribeGroupsApi, ListGroupsApi, OffsetCommitApi } from '../../../src/protocol/messages/index.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { groupSetup, joinMember, soleMember, subscription } from './group-helpers.ts';

for (const version of [0, 1, 3, 4, 5]) {
  test(`DescribeGroups v${version}: a Stable group with its member, an unknown group Dead`, async (t) => {
    const { broker, client } = await groupSetup(t);
    const a = await soleMember(t, broker, { join: 5, sync: 3 });
    const res = await client.request(DescribeGroupsApi, version, {
      groups: ['g1', 'unknown'],
      includeAuthorizedOperations: false,
    });
    const [g1, unknown] = res.groups;
    assert.deepEqual(
      [g1.errorCode, g1.groupId, g1.groupState, g1.protocolType, g1.protocolData],
      [0, 'g1', 'Stable', 'consumer', 'range'],
    );
    assert.equal(g1.members.length, 1);
    const m = g1.members[0];
    assert.deepEqual(
      [m.memberId, m.clientId, m.clientHost, m.memberMetadata, m.memberAssignment.toString()],
      [a.memberId, 'raw-client', '/127.0.0.1', subscription('events'), 'all of it'],
    );
    if (version >= 4) assert.equal(m.groupInstanceId, null);
    assert.deepEqual(
      [unknown.errorCode, unknown.groupState, unknown.protocolType, unknown.members],
      [0, 'Dead', '', []],
    );
    if (version >= 3) assert.equal(g1.authorizedOperations, -2147483648);
  });
}

test('DescribeGroups: no metadata or assignment while rebalancing; authorized operations when asked', async (t) => {
  const { broker, client } = await groupSetup(t);
  await soleMember(t, broker, { join: 5, sync: 3 });
  void joinMember(t, broker, 5).catch(() => undefined);
  await waitFor(() => broker.context.groups.group('g1')?.state === 'PreparingRebalance', {
    what: 'rebalance',
  });
  const res = await client.request(DescribeGroupsApi, 5, {
    groups: ['g1'],
    includeAuthorizedOperations: true,
  });
  const g1 = res.groups[0];
  assert.deepEqual([g1.groupState, g1.protocolData], ['PreparingRebalance', '']);
  assert.ok(g1.members.every((m) => m.memberMetadata.length === 0 && m.memberAssignment.length === 0));
  // READ, DELETE, DESCRIBE.
  assert.equal(g1.authorizedOperations, (1 << 3) | (1 << 6) | (1 << 8));
});

test('ListGroups v0-5: every group with its protocol type, state filter from v4, type from v5', async (t) => {
  const { broker, client } = await groupSetup(t);
  await soleMember(t, broker, { join: 5, sync: 3 }, 'live');
  await client.request(OffsetCommitApi, 2, {
    groupId: 'offsets-only',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [
      {
        name: 'events',
        partitions: [
          {
            partitionIndex: 0,
            committedOffset: 1n,
            committedLeaderEpoch: -1,
            commitTimestamp: -1n,
            committedMetadata: null,
          },
        ],
      },
    ],
  });
  const list = async (version: number, statesFilter: string[] = [], typesFilter: string[] = []) =>
    (await client.request(ListGroupsApi, version, { statesFilter, typesFilter })).groups.sort((a, b) =>
      a.groupId.localeCompare(b.groupId),
    );
  for (const version of [0, 1, 2, 3]) {
    assert.deepEqual(
      (await list(version)).map((g) => [g.groupId, g.protocolType]),
      [
        ['live', 'consumer'],
        ['offsets-only', ''],
      ],
    );
  }
  assert.deepEqual(
    (await list(4)).map((g) => [g.groupId, g.groupState]),
    [
      ['live', 'Stable'],
      ['offsets-only', 'Empty'],
    ],
  );
  assert.deepEqual(
    (await list(4, ['empty'])).map((g) => g.groupId),
    ['offsets-only'],
  );
  assert.deepEqual(
    (await list(5, ['Stable', 'Empty'], ['classic'])).map((g) => [g.groupId, g.groupType]),
    [
      ['live', 'classic'],
      ['offsets-only', 'classic'],
    ],
  );
  assert.deepEqual(await list(5, [], ['consumer']), []);
});
