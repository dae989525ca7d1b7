// OffsetFetch through raw sockets: the single-group layout (v0-7; top-level error from v2; null topics =
// all from v2; leader epoch from v5) and the groups[] layout (v8). Unknown groups and partitions answer
// offset -1, leader epoch -1, metadata "" with no error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OffsetCommitApi, OffsetFetchApi } from '../../../src/protocol/messages/index.ts';
import type { RawClient } from '../../helpers/raw-client.ts';
import { groupSetup } from './group-helpers.ts';

async function commitSome(client: RawClient, groupId: string): Promise<void> {
  const res = await client.request(OffsetCommitApi, 8, {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [
      {
        name: 'events',
        partitions: [
          {
            partitionIndex: 2,
            committedOffset: 20n,
            committedLeaderEpoch: 0,
            commitTimestamp: -1n,
            committedMetadata: 'two',
          },
          {
            partitionIndex: 0,
            committedOffset: 5n,
            committedLeaderEpoch: 0,
            commitTimestamp: -1n,
            committedMetadata: null,
          },
        ],
      },
    ],
  });
  assert.ok(res.topics[0].partitions.every((p) => p.errorCode === 0));
}

const request = (groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null) => ({
  groupId,
  topics,
  groups: [],
  requireStable: false,
});

for (const version of [0, 1, 2, 3, 5, 6, 7]) {
  test(`OffsetFetch v${version}: committed offsets, -1 for the rest, no errors`, async (t) => {
    const { client } = await groupSetup(t);
    await commitSome(client, 'g1');
    const res = await client.request(OffsetFetchApi, version, {
      ...request('g1', [{ name: 'events', partitionIndexes: [0, 1, 2] }]),
      requireStable: version >= 7,
    });
    assert.equal(res.errorCode, 0);
    const epoch = version >= 5 ? 0 : -1;
    assert.deepEqual(
      res.topics[0].partitions.map((p) => [
        p.partitionIndex,
        p.committedOffset,
        p.committedLeaderEpoch,
        p.metadata,
        p.errorCode,
      ]),
      [
        [0, 5n, epoch, '', 0],
        [1, -1n, -1, '', 0],
        [2, 20n, epoch, 'two', 0],
      ],
    );
    const unknown = await client.request(
      OffsetFetchApi,
      version,
      request('nobody', [{ name: 'events', partitionIndexes: [3] }]),
    );
    assert.deepEqual(
      unknown.topics[0].partitions.map((p) => [p.committedOffset, p.metadata, p.errorCode]),
      [[-1n, '', 0]],
    );
    if (version >= 2) {
      const all = await client.request(OffsetFetchApi, version, request('g1', null));
      assert.deepEqual(
        all.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])]),
        [
          [
            'events',
            [
              [0, 5n],
              [2, 20n],
            ],
          ],
        ],
      );
    }
  });
}

test('OffsetFetch v8: several groups at once, each with its own answer', async (t) => {
  const { client } = await groupSetup(t);
  await commitSome(client, 'g1');
  await commitSome(client, 'g2');
  const res = await client.request(OffsetFetchApi, 8, {
    groupId: '',
    topics: [],
    requireStable: true,
    groups: [
      { groupId: 'g1', memberId: null, memberEpoch: -1, topics: [{ name: 'events', partitionIndexes: [2] }] },
      { groupId: 'g2', memberId: null, memberEpoch: -1, topics: null },
      {
        groupId: 'none',
        memberId: null,
        memberEpoch: -1,
        topics: [{ name: 'events', partitionIndexes: [0] }],
      },
    ],
  });
  assert.deepEqual(
    res.groups.map((g) => [
      g.groupId,
      g.errorCode,
      g.topics.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.committedOffset])),
    ]),
    [
      ['g1', 0, [[2, 20n]]],
      [
        'g2',
        0,
        [
          [0, 5n],
          [2, 20n],
        ],
      ],
      ['none', 0, [[0, -1n]]],
    ],
  );
});
