// CreatePartitions through a raw socket at the first, a middle and the last version: growth (and the new
// partitions taking writes), refusal to shrink or stay put, unknown topics, assignments, validateOnly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import {
  CreatePartitionsApi,
  type CreatePartitionsRequestCreatePartitionsTopic,
} from '../../../src/protocol/messages/index.ts';
import type { RawClient } from '../../helpers/raw-client.ts';
import { adminSetup, metadata } from './admin-helpers.ts';

async function createPartitions(
  client: RawClient,
  version: number,
  topics: CreatePartitionsRequestCreatePartitionsTopic[],
  validateOnly = false,
) {
  const res = await client.request(CreatePartitionsApi, version, { topics, timeoutMs: 5000, validateOnly });
  return res.results;
}

for (const version of [0, 1, 3]) {
  test(`CreatePartitions v${version}: grows a topic; refuses shrinking, the same count and unknown topics`, async (t) => {
    const { broker, client } = await adminSetup(t);
    await broker.context.topics.create('grow', 2, {});
    await broker.context.topics.create('shrink', 3, {});
    await broker.context.topics.create('same', 2, {});
    const results = await createPartitions(client, version, [
      { name: 'grow', count: 5, assignments: null },
      { name: 'shrink', count: 1, assignments: null },
      { name: 'same', count: 2, assignments: null },
      { name: 'missing', count: 4, assignments: null },
    ]);
    assert.deepEqual(
      results.map((r) => [r.name, r.errorCode]),
      [
        ['grow', ErrorCode.NONE],
        ['shrink', ErrorCode.INVALID_PARTITIONS],
        ['same', ErrorCode.INVALID_PARTITIONS],
        ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    );
    assert.equal(results[0].errorMessage, null);
    assert.match(results[1].errorMessage ?? '', /3 partitions.*requested 1/);
    assert.match(results[2].errorMessage ?? '', /already has 2 partitions/);

    const md = await metadata(client, 12, ['grow', 'shrink']);
    assert.deepEqual(
      md.topics.map((x) => x.partitions.length),
      [5, 3],
    );
    const added = broker.context.topics.partition('grow', 4)!;
    assert.equal(added.log.logEndOffset, 0n);
  });
}

test('CreatePartitions: assignments on this broker alone are accepted, anything else refused', async (t) => {
  const { broker, client } = await adminSetup(t, { nodeId: 2 });
  await broker.context.topics.create('placed', 1, {});
  const results = await createPartitions(client, 3, [
    { name: 'placed', count: 3, assignments: [{ brokerIds: [2] }, { brokerIds: [2] }] },
  ]);
  assert.equal(results[0].errorCode, ErrorCode.NONE);
  const refused = await createPartitions(client, 3, [
    { name: 'placed', count: 4, assignments: [{ brokerIds: [2, 5] }] },
  ]);
  assert.equal(refused[0].errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  const miscounted = await createPartitions(client, 3, [
    { name: 'placed', count: 5, assignments: [{ brokerIds: [2] }] },
  ]);
  assert.equal(miscounted[0].errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.equal(broker.context.topics.get('placed')!.partitions.length, 3);
});

test('CreatePartitions validateOnly: checks without growing; duplicates in one request are refused', async (t) => {
  const { broker, client } = await adminSetup(t);
  await broker.context.topics.create('dry', 1, {});
  const dry = await createPartitions(client, 2, [{ name: 'dry', count: 4, assignments: null }], true);
  assert.equal(dry[0].errorCode, ErrorCode.NONE);
  const bad = await createPartitions(client, 2, [{ name: 'dry', count: 1, assignments: null }], true);
  assert.equal(bad[0].errorCode, ErrorCode.INVALID_PARTITIONS);
  assert.equal(broker.context.topics.get('dry')!.partitions.length, 1);

  const dup = await createPartitions(client, 3, [
    { name: 'dry', count: 2, assignments: null },
    { name: 'dry', count: 3, assignments: null },
  ]);
  assert.deepEqual(
    dup.map((r) => r.errorCode),
    [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST],
  );
  assert.equal(broker.context.topics.get('dry')!.partitions.length, 1);
});
