// OffsetCommit through raw sockets at versions 0-8: simple commits (v0, or generation -1) on an absent or
// empty group, member commits with generation checks, per-partition errors, and what OffsetFetch sees.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { OffsetCommitApi, type OffsetCommitRequest } from '../../../src/protocol/messages/index.ts';
import type { RawClient } from '../../helpers/raw-client.ts';
import { groupSetup, soleMember } from './group-helpers.ts';

function commitBody(
  overrides: Partial<OffsetCommitRequest>,
  partitions: [number, bigint][],
): OffsetCommitRequest {
  return {
    groupId: 'g1',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [
      {
        name: 'events',
        partitions: partitions.map(([partitionIndex, committedOffset]) => ({
          partitionIndex,
          committedOffset,
          committedLeaderEpoch: 0,
          commitTimestamp: -1n,
          committedMetadata: `at ${committedOffset}`,
        })),
      },
    ],
    ...overrides,
  };
}

async function codes(client: RawClient, version: number, body: OffsetCommitRequest): Promise<number[]> {
  const res = await client.request(OffsetCommitApi, version, body);
  return res.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
}

for (const version of [0, 1, 2, 3, 5, 6, 7, 8]) {
  test(`OffsetCommit v${version}: a simple commit to a group without members is stored`, async (t) => {
    const { broker, client } = await groupSetup(t);
    assert.deepEqual(
      await codes(
        client,
        version,
        commitBody({}, [
          [0, 11n],
          [3, 33n],
          [4, 1n],
        ]),
      ),
      [0, 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    );
    const stored = broker.context.offsets.offset('g1', 'events', 3)!;
    assert.equal(stored.offset, 33n);
    assert.equal(stored.metadata, 'at 33');
    assert.equal(stored.leaderEpoch, version >= 6 ? 0 : -1);
    assert.equal(broker.context.groups.describe('g1').groupState, 'Empty');
  });
}

for (const version of [1, 2, 5, 7, 8]) {
  test(`OffsetCommit v${version}: a member commits at its generation; others are refused`, async (t) => {
    const { broker, client } = await groupSetup(t);
    const a = await soleMember(t, broker, { join: 5, sync: 3 });
    const member = { generationIdOrMemberEpoch: 1, memberId: a.memberId };
    assert.deepEqual(await codes(a.client, version, commitBody(member, [[1, 5n]])), [0]);
    assert.deepEqual(
      await codes(client, version, commitBody({ ...member, generationIdOrMemberEpoch: 2 }, [[1, 6n]])),
      [ErrorCode.ILLEGAL_GENERATION],
    );
    assert.deepEqual(await codes(client, version, commitBody({ ...member, memberId: 'nobody' }, [[1, 6n]])), [
      ErrorCode.UNKNOWN_MEMBER_ID,
    ]);
    assert.deepEqual(await codes(client, version, commitBody({}, [[1, 6n]])), [ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.deepEqual(
      await codes(
        client,
        version,
        commitBody({ groupId: 'absent', generationIdOrMemberEpoch: 4 }, [[1, 6n]]),
      ),
      [ErrorCode.ILLEGAL_GENERATION],
    );
    assert.equal(broker.context.offsets.offset('g1', 'events', 1)?.offset, 5n);
  });
}

test('OffsetCommit: several topics, unknown ones refused per partition, commit metadata over 4096 characters refused', async (t) => {
  const { broker, client } = await groupSetup(t);
  const body = commitBody({}, [[0, 1n]]);
  body.topics.push({ name: 'missing', partitions: [{ ...body.topics[0].partitions[0] }] });
  body.topics[0].partitions.push({
    ...body.topics[0].partitions[0],
    partitionIndex: 1,
    committedMetadata: 'm'.repeat(4097),
  });
  body.topics[0].partitions.push({
    ...body.topics[0].partitions[0],
    partitionIndex: 2,
    committedMetadata: null,
  });
  const res = await client.request(OffsetCommitApi, 8, body);
  assert.deepEqual(
    res.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
    [
      [
        'events',
        [
          [0, 0],
          [1, ErrorCode.OFFSET_METADATA_TOO_LARGE],
          [2, 0],
        ],
      ],
      ['missing', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ],
  );
  assert.equal(broker.context.offsets.offset('g1', 'events', 2)?.metadata, null);
});
