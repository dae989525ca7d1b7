// The transactional APIs through a raw socket: the refusals a client can run into, each with its code
// (AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn, transactional Produce), and OffsetFetch's
// require_stable while a transaction has staged an offset.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import {
  AddOffsetsToTxnApi,
  AddPartitionsToTxnApi,
  CreateTopicsApi,
  EndTxnApi,
  InitProducerIdApi,
  OffsetFetchApi,
  ProduceApi,
  TxnOffsetCommitApi,
} from '../../../src/protocol/messages/index.ts';
import { startTestBroker } from '../../helpers/broker.ts';
import type { RawClient } from '../../helpers/raw-client.ts';
import { batchOf, connectClient } from './data-path.ts';

interface Producer {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
}

async function setup(t: TestContext): Promise<{ client: RawClient; producer: Producer }> {
  const broker = await startTestBroker(t);
  const client = await connectClient(t, broker);
  const created = await client.request(CreateTopicsApi, 7, {
    topics: [{ name: 'events', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
  const init = await client.request(InitProducerIdApi, 4, {
    transactionalId: 'raw',
    transactionTimeoutMs: 60_000,
    producerId: -1n,
    producerEpoch: -1,
  });
  assert.equal(init.errorCode, ErrorCode.NONE);
  return {
    client,
    producer: { transactionalId: 'raw', producerId: init.producerId, producerEpoch: init.producerEpoch },
  };
}

async function addPartitions(
  client: RawClient,
  version: number,
  who: Producer,
  partitions: number[],
  topic = 'events',
) {
  const res = await client.request(AddPartitionsToTxnApi, version, {
    transactions: [],
    v3AndBelowTransactionalId: who.transactionalId,
    v3AndBelowProducerId: who.producerId,
    v3AndBelowProducerEpoch: who.producerEpoch,
    v3AndBelowTopics: [{ name: topic, partitions }],
  });
  return res.resultsByTopicV3AndBelow[0].resultsByPartition.map((p) => p.partitionErrorCode);
}

async function produceTxn(client: RawClient, who: Producer, partition: number, transactional = true) {
  const res = await client.request(ProduceApi, 8, {
    transactionalId: transactional ? who.transactionalId : null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [
      {
        name: 'events',
        partitionData: [
          {
            index: partition,
            records: batchOf('t', 1, {
              producerId: who.producerId,
              producerEpoch: who.producerEpoch,
              baseSequence: 0,
              transactional,
            }),
          },
        ],
      },
    ],
  });
  return res.responses[0].partitionResponses[0].errorCode;
}

test('AddPartitionsToTxn: unknown partition fails alone, siblings not attempted; stale epoch version-gated; unknown id', async (t) => {
  const { client, producer } = await setup(t);
  assert.deepEqual(await addPartitions(client, 3, producer, [0, 7]), [
    ErrorCode.OPERATION_NOT_ATTEMPTED,
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ]);
  const stale = { ...producer, producerEpoch: producer.producerEpoch - 1 };
  assert.deepEqual(await addPartitions(client, 1, stale, [0]), [ErrorCode.INVALID_PRODUCER_EPOCH]);
  assert.deepEqual(await addPartitions(client, 2, stale, [0]), [ErrorCode.PRODUCER_FENCED]);
  assert.deepEqual(
    await addPartitions(client, 3, { ...producer, producerId: producer.producerId + 1n }, [0]),
    [ErrorCode.INVALID_PRODUCER_ID_MAPPING],
  );
  assert.deepEqual(await addPartitions(client, 3, { ...producer, transactionalId: 'nobody' }, [0]), [
    ErrorCode.INVALID_PRODUCER_ID_MAPPING,
  ]);
});

test('transactional Produce needs the partition in the transaction; a plain batch inside one is refused', async (t) => {
  const { client, producer } = await setup(t);
  assert.equal(await produceTxn(client, producer, 0), ErrorCode.INVALID_TXN_STATE, 'no transaction open');
  assert.deepEqual(await addPartitions(client, 3, producer, [0]), [ErrorCode.NONE]);
  assert.equal(await produceTxn(client, producer, 1), ErrorCode.INVALID_TXN_STATE, 'partition 1 not added');
  assert.equal(await produceTxn(client, producer, 0, false), ErrorCode.INVALID_TXN_STATE, 'plain batch');
  assert.equal(
    await produceTxn(client, { ...producer, producerEpoch: producer.producerEpoch + 1 }, 0),
    ErrorCode.INVALID_PRODUCER_EPOCH,
  );
  assert.equal(await produceTxn(client, producer, 0), ErrorCode.NONE);
});

test('TxnOffsetCommit needs AddOffsetsToTxn; staged offsets are unstable for require_stable until the commit', async (t) => {
  const { client, producer } = await setup(t);
  assert.deepEqual(await addPartitions(client, 3, producer, [0]), [ErrorCode.NONE]);
  const txnCommit = async (offset: bigint) => {
    const res = await client.request(TxnOffsetCommitApi, 3, {
      ...producer,
      groupId: 'g',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        {
          name: 'events',
          partitions: [
            { partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null },
          ],
        },
      ],
    });
    return res.topics[0].partitions[0].errorCode;
  };
  assert.equal(await txnCommit(4n), ErrorCode.INVALID_TXN_STATE, 'group not added to the transaction');
  const added = await client.request(AddOffsetsToTxnApi, 3, { ...producer, groupId: 'g' });
  assert.equal(added.errorCode, ErrorCode.NONE);
  assert.equal(await txnCommit(4n), ErrorCode.NONE);
  const fetchOffset = async (requireStable: boolean) => {
    const res = await client.request(OffsetFetchApi, 7, {
      groupId: 'g',
      topics: [{ name: 'events', partitionIndexes: [0] }],
      groups: [],
      requireStable,
    });
    const p = res.topics[0].partitions[0];
    return [p.errorCode, p.committedOffset];
  };
  assert.deepEqual(await fetchOffset(true), [ErrorCode.UNSTABLE_OFFSET_COMMIT, -1n]);
  assert.deepEqual(await fetchOffset(false), [ErrorCode.NONE, -1n], 'staged, not committed');
  const end = async (committed: boolean, who = producer, version = 3) =>
    (await client.request(EndTxnApi, version, { ...who, committed })).errorCode;
  assert.equal(
    await end(true, { ...producer, producerEpoch: producer.producerEpoch - 1 }, 1),
    ErrorCode.INVALID_PRODUCER_EPOCH,
  );
  assert.equal(
    await end(true, { ...producer, producerEpoch: producer.producerEpoch - 1 }),
    ErrorCode.PRODUCER_FENCED,
  );
  assert.equal(await end(true), ErrorCode.NONE);
  assert.deepEqual(await fetchOffset(true), [ErrorCode.NONE, 4n]);
  assert.equal(await end(true), ErrorCode.NONE, 'a retried commit');
  assert.equal(await end(false), ErrorCode.INVALID_TXN_STATE, 'abort after the commit');
});
