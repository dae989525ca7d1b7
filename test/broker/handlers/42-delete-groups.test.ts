// DeleteGroups and OffsetDelete through raw sockets: only empty groups are deleted (with their offsets);
// OffsetDelete keeps the offsets of topics a live consumer group subscribes to.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import {
  DeleteGroupsApi,
  LeaveGroupApi,
  OffsetCommitApi,
  OffsetDeleteApi,
  OffsetFetchApi,
} from '../../../src/protocol/messages/index.ts';
import type { RawClient } from '../../helpers/raw-client.ts';
import { groupSetup, soleMember } from './group-helpers.ts';

async function commit(client: RawClient, groupId: string, memberId = '', generation = -1): Promise<void> {
  const res = await client.request(OffsetCommitApi, 8, {
    groupId,
    generationIdOrMemberEpoch: generation,
    memberId,
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [
      {
        name: 'events',
        partitions: [0, 1].map((partitionIndex) => ({
          partitionIndex,
          committedOffset: 9n,
          committedLeaderEpoch: -1,
          commitTimestamp: -1n,
          committedMetadata: null,
        })),
      },
    ],
  });
  assert.ok(res.topics[0].partitions.every((p) => p.errorCode === 0));
}

for (const version of [0, 1, 2]) {
  test(`DeleteGroups v${version}: empty groups go with their offsets; others are refused`, async (t) => {
    const { broker, client } = await groupSetup(t);
    await commit(client, 'idle');
    const a = await soleMember(t, broker, { join: 5, sync: 3 }, 'busy');
    const res = await client.request(DeleteGroupsApi, version, { groupsNames: ['idle', 'busy', 'ghost'] });
    assert.deepEqual(
      res.results.map((r) => [r.groupId, r.errorCode]),
      [
        ['idle', ErrorCode.NONE],
        ['busy', ErrorCode.NON_EMPTY_GROUP],
        ['ghost', ErrorCode.GROUP_ID_NOT_FOUND],
      ],
    );
    const fetched = await client.request(OffsetFetchApi, 7, {
      groupId: 'idle',
      topics: null,
      groups: [],
      requireStable: false,
    });
    assert.deepEqual(fetched.topics, []);
    await client.request(LeaveGroupApi, 3, {
      groupId: 'busy',
      memberId: '',
      members: [{ memberId: a.memberId, groupInstanceId: null, reason: null }],
    });
    const again = await client.request(DeleteGroupsApi, version, { groupsNames: ['busy'] });
    assert.equal(again.results[0].errorCode, ErrorCode.NONE);
    assert.equal(broker.context.groups.describe('busy').groupState, 'Dead');
  });
}

test('OffsetDelete v0: subscribed topics of a live consumer group are kept, the rest deleted', async (t) => {
  const { broker, client } = await groupSetup(t);
  await broker.context.topics.create('other', 1, {});
  const a = await soleMember(t, broker, { join: 5, sync: 3 }); // subscribed to "events"
  await commit(client, 'g1', a.memberId, 1);
  const otherCommit = await client.request(OffsetCommitApi, 8, {
    groupId: 'g1',
    generationIdOrMemberEpoch: 1,
    memberId: a.memberId,
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [
      {
        name: 'other',
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
  assert.equal(otherCommit.topics[0].partitions[0].errorCode, 0);
  const res = await client.request(OffsetDeleteApi, 0, {
    groupId: 'g1',
    topics: [
      { name: 'events', partitions: [{ partitionIndex: 0 }] },
      { name: 'other', partitions: [{ partitionIndex: 0 }, { partitionIndex: 5 }] },
    ],
  });
  assert.equal(res.errorCode, 0);
  assert.deepEqual(
    res.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
    [
      ['events', [[0, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]]],
      [
        'other',
        [
          [0, 0],
          [5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ],
      ],
    ],
  );
  assert.equal(broker.context.offsets.offset('g1', 'other', 0), undefined);
  assert.equal(broker.context.offsets.offset('g1', 'events', 0)?.offset, 9n);
  const unknown = await client.request(OffsetDeleteApi, 0, { groupId: 'nope', topics: [] });
  assert.equal(unknown.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  const empty = await client.request(OffsetDeleteApi, 0, { groupId: '', topics: [] });
  assert.equal(empty.errorCode, ErrorCode.INVALID_GROUP_ID);
});
