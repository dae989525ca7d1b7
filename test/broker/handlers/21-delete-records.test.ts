// DeleteRecords through a raw socket: the log start moves up, reads below it are out of range, -1 means
// the high watermark, and the new start survives a restart.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import {
  DeleteRecordsApi,
  ListOffsetsApi,
  type DeleteRecordsResponseDeleteRecordsPartitionResult,
} from '../../../src/protocol/messages/index.ts';
import { startTestBroker, tempDir } from '../../helpers/broker.ts';
import type { RawClient } from '../../helpers/raw-client.ts';
import {
  batchBaseOffsets,
  batchOf,
  connectClient,
  fetch,
  fetchRequest,
  produce,
  setup,
} from './data-path.ts';

async function deleteRecords(
  client: RawClient,
  version: number,
  offset: bigint,
  topic = 'events',
  partition = 0,
): Promise<DeleteRecordsResponseDeleteRecordsPartitionResult> {
  const res = await client.request(DeleteRecordsApi, version, {
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, offset }] }],
    timeoutMs: 30_000,
  });
  return res.topics[0].partitions[0];
}

async function earliest(client: RawClient): Promise<bigint> {
  const res = await client.request(ListOffsetsApi, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [
      {
        name: 'events',
        partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: 1 }],
      },
    ],
  });
  return res.topics[0].partitions[0].offset;
}

for (const version of [0, 1, 2]) {
  test(`DeleteRecords v${version}: the log start moves up and fetching below it is out of range`, async (t) => {
    const { client } = await setup(t);
    await produce(client, 7, 'events', 0, batchOf('a', 3));
    await produce(client, 7, 'events', 0, batchOf('b', 3));
    const res = await deleteRecords(client, version, 4n);
    assert.equal(res.errorCode, ErrorCode.NONE);
    assert.equal(res.lowWatermark, 4n);
    assert.equal(await earliest(client), 4n);
    const below = await fetch(client, 11, fetchRequest('events', [{ offset: 3n }]));
    assert.equal(below.responses[0].partitions[0].errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    const at = await fetch(client, 11, fetchRequest('events', [{ offset: 4n }]));
    assert.equal(at.responses[0].partitions[0].logStartOffset, 4n);
    assert.deepEqual(batchBaseOffsets(at.responses[0].partitions[0]), [3n]); // the batch holding offset 4
  });
}

test('DeleteRecords -1 deletes up to the high watermark; an offset below the start changes nothing', async (t) => {
  const { client } = await setup(t);
  await produce(client, 7, 'events', 0, batchOf('a', 5));
  assert.equal((await deleteRecords(client, 2, -1n)).lowWatermark, 5n);
  const again = await deleteRecords(client, 2, 2n);
  assert.equal(again.errorCode, ErrorCode.NONE);
  assert.equal(again.lowWatermark, 5n);
});

test('DeleteRecords errors: past the high watermark, negative, unknown topic or partition', async (t) => {
  const { client } = await setup(t);
  await produce(client, 7, 'events', 0, batchOf('a', 2));
  for (const offset of [3n, -2n]) {
    const res = await deleteRecords(client, 2, offset);
    assert.equal(res.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, String(offset));
    assert.equal(res.lowWatermark, -1n);
  }
  assert.equal(
    (await deleteRecords(client, 2, 1n, 'missing')).errorCode,
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  );
  assert.equal(
    (await deleteRecords(client, 2, 1n, 'events', 4)).errorCode,
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  );
  assert.equal(await earliest(client), 0n);
});

test('DeleteRecords removes whole segments below the new start, and the start survives a restart', async (t) => {
  const dataDir = await tempDir();
  {
    const { broker, client } = await setup(t, {
      overrides: { 'segment.bytes': '1024' },
      broker: { dataDir },
    });
    for (let i = 0; i < 6; i++) await produce(client, 7, 'events', 0, batchOf(`s${i}`.padEnd(400, '.')));
    const log = broker.context.topics.partition('events', 0)!.log;
    const segmentsBefore = log.segmentCount;
    assert.ok(segmentsBefore >= 3);
    assert.equal((await deleteRecords(client, 2, 5n)).lowWatermark, 5n);
    assert.ok(log.segmentCount < segmentsBefore);
    client.close();
    await broker.close();
  }
  const broker = await startTestBroker(t, { dataDir });
  // Registered after the broker's own close hook, so the directory goes once the broker has stopped.
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const client = await connectClient(t, broker);
  assert.equal(await earliest(client), 5n);
  const below = await fetch(client, 11, fetchRequest('events', [{ offset: 4n }]));
  assert.equal(below.responses[0].partitions[0].errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
});
