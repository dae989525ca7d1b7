// OffsetForLeaderEpoch through a raw socket: epoch 0 (the only one) ends at the high watermark, unknown
// epochs are (-1, -1), older ones start at the log start; errors and the current-epoch fence.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import {
  DeleteRecordsApi,
  OffsetForLeaderEpochApi,
  type OffsetForLeaderEpochResponseEpochEndOffset,
} from '../../../src/protocol/messages/index.ts';
import type { RawClient } from '../../helpers/raw-client.ts';
import { batchOf, produce, setup } from './data-path.ts';

async function endOffset(
  client: RawClient,
  version: number,
  leaderEpoch: number,
  options: { topic?: string; partition?: number; currentLeaderEpoch?: number } = {},
): Promise<OffsetForLeaderEpochResponseEpochEndOffset> {
  const res = await client.request(OffsetForLeaderEpochApi, version, {
    replicaId: -1,
    topics: [
      {
        topic: options.topic ?? 'events',
        partitions: [
          {
            partition: options.partition ?? 0,
            currentLeaderEpoch: options.currentLeaderEpoch ?? -1,
            leaderEpoch,
          },
        ],
      },
    ],
  });
  return res.topics[0].partitions[0];
}

for (const version of [0, 2, 3, 4]) {
  test(`OffsetForLeaderEpoch v${version}: epoch 0 ends at the high watermark`, async (t) => {
    const { client } = await setup(t);
    await produce(client, 7, 'events', 0, batchOf('a', 4));
    const res = await endOffset(client, version, 0);
    assert.equal(res.errorCode, ErrorCode.NONE);
    assert.equal(res.endOffset, 4n);
    if (version >= 1) assert.equal(res.leaderEpoch, 0);
  });
}

test('OffsetForLeaderEpoch: unknown epochs are (-1, -1); an epoch before 0 starts at the log start', async (t) => {
  const { client } = await setup(t);
  await produce(client, 7, 'events', 0, batchOf('a', 4));
  await client.request(DeleteRecordsApi, 2, {
    topics: [{ name: 'events', partitions: [{ partitionIndex: 0, offset: 2n }] }],
    timeoutMs: 1000,
  });
  for (const epoch of [1, 7, -1]) {
    const res = await endOffset(client, 4, epoch);
    assert.deepEqual([res.errorCode, res.leaderEpoch, res.endOffset], [0, -1, -1n], String(epoch));
  }
  const older = await endOffset(client, 4, -3);
  assert.deepEqual([older.leaderEpoch, older.endOffset], [-3, 2n]);
});

test('OffsetForLeaderEpoch errors: unknown topic or partition, current leader epoch (v2+)', async (t) => {
  const { client } = await setup(t);
  const unknown = await endOffset(client, 4, 0, { topic: 'missing' });
  assert.deepEqual([unknown.errorCode, unknown.leaderEpoch, unknown.endOffset], [3, -1, -1n]);
  assert.equal(
    (await endOffset(client, 4, 0, { partition: 2 })).errorCode,
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  );
  assert.equal((await endOffset(client, 2, 0, { currentLeaderEpoch: 0 })).errorCode, ErrorCode.NONE);
  assert.equal(
    (await endOffset(client, 2, 0, { currentLeaderEpoch: 1 })).errorCode,
    ErrorCode.UNKNOWN_LEADER_EPOCH,
  );
  assert.equal(
    (await endOffset(client, 3, 0, { currentLeaderEpoch: -4 })).errorCode,
    ErrorCode.FENCED_LEADER_EPOCH,
  );
});
