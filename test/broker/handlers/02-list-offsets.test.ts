// ListOffsets through a raw socket: earliest, latest, by timestamp (to the record, compressed batches
// included), max timestamp, the v1 and v4+ fields, errors and leader epochs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import {
  ListOffsetsApi,
  type ListOffsetsResponseListOffsetsPartitionResponse,
} from '../../../src/protocol/messages/index.ts';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';
import type { CompressionCodec } from '../../../src/protocol/compression.ts';
import type { RawClient } from '../../helpers/raw-client.ts';
import { produce, setup } from './data-path.ts';

type Answer = ListOffsetsResponseListOffsetsPartitionResponse;

async function listOffset(
  client: RawClient,
  version: number,
  timestamp: bigint,
  options: { topic?: string; partition?: number; currentLeaderEpoch?: number; isolationLevel?: number } = {},
): Promise<Answer> {
  const res = await client.request(ListOffsetsApi, version, {
    replicaId: -1,
    isolationLevel: options.isolationLevel ?? 0,
    topics: [
      {
        name: options.topic ?? 'events',
        partitions: [
          {
            partitionIndex: options.partition ?? 0,
            currentLeaderEpoch: options.currentLeaderEpoch ?? -1,
            timestamp,
            maxNumOffsets: 1,
          },
        ],
      },
    ],
  });
  return res.topics[0].partitions[0];
}

function batchAt(timestamps: number[], compression: CompressionCodec = 'none'): Buffer {
  return buildRecordBatch({
    compression,
    records: timestamps.map((ts, i) => ({ value: Buffer.from(`r${i}`), timestamp: BigInt(ts) })),
  });
}

const pair = (a: Answer): [bigint, bigint] => [a.offset, a.timestamp];

for (const version of [1, 4, 7]) {
  test(`ListOffsets v${version}: earliest, latest and by timestamp`, async (t) => {
    const { client } = await setup(t);
    await produce(client, 7, 'events', 0, batchAt([1000, 1001, 1002]));
    await produce(client, 7, 'events', 0, batchAt([2000, 2001]));
    const earliest = await listOffset(client, version, -2n);
    assert.deepEqual(pair(earliest), [0n, -1n]);
    assert.equal(earliest.errorCode, ErrorCode.NONE);
    if (version >= 4) assert.equal(earliest.leaderEpoch, 0);
    assert.deepEqual(pair(await listOffset(client, version, -1n)), [5n, -1n]);
    assert.deepEqual(pair(await listOffset(client, version, 0n)), [0n, 1000n]);
    assert.deepEqual(pair(await listOffset(client, version, 1001n)), [1n, 1001n]);
    assert.deepEqual(pair(await listOffset(client, version, 1500n)), [3n, 2000n]);
    assert.deepEqual(pair(await listOffset(client, version, 2001n)), [4n, 2001n]);
    const none = await listOffset(client, version, 3000n);
    assert.deepEqual(pair(none), [-1n, -1n]);
    assert.equal(none.errorCode, ErrorCode.NONE);
    if (version >= 4) assert.equal(none.leaderEpoch, -1);
  });
}

test('ListOffsets by timestamp finds the record inside a compressed batch', async (t) => {
  const { client } = await setup(t);
  for (const [i, codec] of (['gzip', 'snappy', 'lz4', 'zstd'] as const).entries()) {
    const base = (await listOffset(client, 7, -1n)).offset;
    const ts = 5000 + i * 100;
    await produce(client, 7, 'events', 0, batchAt([ts, ts + 1, ts + 2, ts + 3, ts + 4], codec));
    assert.deepEqual(pair(await listOffset(client, 7, BigInt(ts + 3))), [base + 3n, BigInt(ts + 3)], codec);
  }
});

test('ListOffsets -3 (v7): the first record with the largest timestamp', async (t) => {
  const { client } = await setup(t);
  assert.deepEqual(pair(await listOffset(client, 7, -3n)), [-1n, -1n]);
  await produce(client, 7, 'events', 0, batchAt([10, 50, 20]));
  await produce(client, 7, 'events', 0, batchAt([30, 50, 40]));
  assert.deepEqual(pair(await listOffset(client, 7, -3n)), [1n, 50n]);
  await produce(client, 7, 'events', 0, batchAt([60, 70], 'gzip'));
  assert.deepEqual(pair(await listOffset(client, 7, -3n)), [7n, 70n]);
});

test('ListOffsets on an empty partition: earliest and latest 0, by timestamp none', async (t) => {
  const { client } = await setup(t);
  assert.deepEqual(pair(await listOffset(client, 5, -2n)), [0n, -1n]);
  assert.deepEqual(pair(await listOffset(client, 5, -1n)), [0n, -1n]);
  assert.deepEqual(pair(await listOffset(client, 5, 0n)), [-1n, -1n]);
});

test('ListOffsets latest with read_committed is the last stable offset (= HWM without transactions)', async (t) => {
  const { client } = await setup(t);
  await produce(client, 7, 'events', 0, batchAt([1, 2]));
  assert.equal((await listOffset(client, 7, -1n, { isolationLevel: 1 })).offset, 2n);
});

test('ListOffsets errors: unknown topic or partition, leader epochs (v4+)', async (t) => {
  const { client } = await setup(t);
  const unknownTopic = await listOffset(client, 7, -1n, { topic: 'missing' });
  assert.equal(unknownTopic.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.deepEqual(pair(unknownTopic), [-1n, -1n]);
  const unknownPartition = await listOffset(client, 2, -1n, { partition: 9 });
  assert.equal(unknownPartition.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal((await listOffset(client, 7, -1n, { currentLeaderEpoch: 0 })).errorCode, ErrorCode.NONE);
  assert.equal(
    (await listOffset(client, 7, -1n, { currentLeaderEpoch: 3 })).errorCode,
    ErrorCode.UNKNOWN_LEADER_EPOCH,
  );
  assert.equal(
    (await listOffset(client, 4, -1n, { currentLeaderEpoch: -7 })).errorCode,
    ErrorCode.FENCED_LEADER_EPOCH,
  );
});
