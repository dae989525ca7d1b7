// The codec against two Kafka clients nobody here wrote: what kafkajs (classic versions) and
// @platformatic/kafka (flexible versions) encode, we decode to the same values; what we encode, they
// decode to the values we meant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as platformatic from '@platformatic/kafka';
import { Reader } from '../../src/protocol/reader.ts';
import { Writer } from '../../src/protocol/writer.ts';
import { apis, type MessageCodec, type MetadataResponse } from '../../src/protocol/messages/index.ts';

const require = createRequire(import.meta.url);
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

interface KafkajsRequest {
  encode(): Promise<{ buffer: Buffer }>;
}
type KafkajsRequestFactory = (args: Record<string, unknown>) => KafkajsRequest;
type KafkajsDecode = (raw: Buffer) => Promise<unknown>;

const kafkajsRequest = (path: string) =>
  require(`kafkajs/src/protocol/requests/${path}/request`) as KafkajsRequestFactory;
const kafkajsDecode = (path: string) =>
  (require(`kafkajs/src/protocol/requests/${path}/response`) as { decode: KafkajsDecode }).decode;

function encodeOurs<T>(codec: MessageCodec<T>, version: number, m: T): Buffer {
  const w = new Writer();
  codec.encode(w, version, m);
  return Buffer.from(w.toBuffer());
}

function parsePlatformatic(
  api: { parseResponse: (id: number, key: number, version: number, reader: platformatic.Reader) => unknown },
  apiKey: number,
  version: number,
  bytes: Buffer,
): unknown {
  return api.parseResponse(1, apiKey, version, platformatic.Reader.from(bytes));
}

test('kafkajs Metadata v4 request decodes to the same topics and flags', async () => {
  const { buffer } = await kafkajsRequest('metadata/v4')({
    topics: ['a', 'bé'],
    allowAutoTopicCreation: false,
  }).encode();
  assert.deepEqual(apis[3].request.decode(new Reader(buffer), 4), {
    topics: [
      { topicId: ZERO_UUID, name: 'a' },
      { topicId: ZERO_UUID, name: 'bé' },
    ],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
});

test('kafkajs Fetch v11 request decodes field for field', async () => {
  const { buffer } = await kafkajsRequest('fetch/v11')({
    replicaId: -1,
    maxWaitTime: 500,
    minBytes: 1,
    maxBytes: 1024,
    isolationLevel: 1,
    topics: [
      {
        topic: 't',
        partitions: [
          { partition: 2, currentLeaderEpoch: 4, fetchOffset: '42', logStartOffset: '-1', maxBytes: 99 },
        ],
      },
    ],
    rackId: 'r1',
  }).encode();
  const decoded = apis[1].request.decode(new Reader(buffer), 11);
  assert.deepEqual(decoded, {
    replicaId: -1,
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 1024,
    isolationLevel: 1,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: 't',
        topicId: ZERO_UUID,
        partitions: [
          {
            partition: 2,
            currentLeaderEpoch: 4,
            fetchOffset: 42n,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: 99,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: 'r1',
  });
});

test('kafkajs Produce v3 request: our decoder hands its record batch over as raw bytes', async () => {
  const { buffer } = await kafkajsRequest('produce/v3')({
    acks: -1,
    timeout: 30000,
    topicData: [
      { topic: 'events', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v', timestamp: 1 }] }] },
    ],
  }).encode();
  const decoded = apis[0].request.decode(new Reader(buffer), 3);
  assert.equal(decoded.transactionalId, null);
  assert.equal(decoded.acks, -1);
  assert.equal(decoded.timeoutMs, 30000);
  assert.equal(decoded.topicData[0].name, 'events');
  const records = decoded.topicData[0].partitionData[0].records;
  assert.ok(records);
  assert.equal(records.readInt32BE(8), records.length - 12, 'batch length covers the rest of the batch');
  assert.equal(records[16], 2, 'magic byte 2');
  assert.equal(records.buffer, buffer.buffer, 'records are a view of the request, not a copy');
});

test('our Metadata v5 response decodes in kafkajs', async () => {
  const response: MetadataResponse = {
    throttleTimeMs: 7,
    brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
    clusterId: 'sluice',
    controllerId: 1,
    topics: [
      {
        errorCode: 0,
        name: 'metrics',
        topicId: ZERO_UUID,
        isInternal: false,
        partitions: [
          {
            errorCode: 0,
            partitionIndex: 0,
            leaderId: 1,
            leaderEpoch: 0,
            replicaNodes: [1],
            isrNodes: [1],
            offlineReplicas: [],
          },
        ],
        topicAuthorizedOperations: -2147483648,
      },
    ],
    clusterAuthorizedOperations: -2147483648,
  };
  assert.deepEqual(await kafkajsDecode('metadata/v5')(encodeOurs(apis[3].response, 5, response)), {
    throttleTime: 7,
    brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
    clusterId: 'sluice',
    controllerId: 1,
    topicMetadata: [
      {
        topicErrorCode: 0,
        topic: 'metrics',
        isInternal: false,
        partitionMetadata: [
          { partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1], isr: [1], offlineReplicas: [] },
        ],
      },
    ],
  });
});

test('our ApiVersions v2 response decodes in kafkajs', async () => {
  const bytes = encodeOurs(apis[18].response, 2, {
    errorCode: 0,
    apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
    throttleTimeMs: 0,
  });
  assert.deepEqual(await kafkajsDecode('apiVersions/v2')(bytes), {
    errorCode: 0,
    apiVersions: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
    throttleTime: 0,
    clientSideThrottleTime: 0,
  });
});

test('@platformatic/kafka flexible requests decode to the same values', () => {
  const apiVersions = platformatic.apiVersionsV3.createRequest('sluice-test', '1.2.3').buffer;
  assert.deepEqual(apis[18].request.decode(new Reader(apiVersions), 3), {
    clientSoftwareName: 'sluice-test',
    clientSoftwareVersion: '1.2.3',
  });
  const metadata = platformatic.metadataV12.createRequest(['a', 'b'], false, true).buffer;
  assert.deepEqual(apis[3].request.decode(new Reader(metadata), 12), {
    topics: [
      { topicId: ZERO_UUID, name: 'a' },
      { topicId: ZERO_UUID, name: 'b' },
    ],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: true,
  });
  const join = platformatic.joinGroupV9.createRequest(
    'g',
    10000,
    30000,
    'm-1',
    null,
    'consumer',
    [{ name: 'range', metadata: Buffer.from([1, 2]) }],
    'why',
  ).buffer;
  assert.deepEqual(apis[11].request.decode(new Reader(join), 9), {
    groupId: 'g',
    sessionTimeoutMs: 10000,
    rebalanceTimeoutMs: 30000,
    memberId: 'm-1',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from([1, 2]) }],
    reason: 'why',
  });
  const find = platformatic.findCoordinatorV4.createRequest(0, ['g1', 'g2']).buffer;
  assert.deepEqual(apis[10].request.decode(new Reader(find), 4), {
    key: '',
    keyType: 0,
    coordinatorKeys: ['g1', 'g2'],
  });
});

test('our flexible responses decode in @platformatic/kafka', () => {
  const apiVersions = encodeOurs(apis[18].response, 3, {
    errorCode: 0,
    apiKeys: [
      { apiKey: 0, minVersion: 3, maxVersion: 11 },
      { apiKey: 18, minVersion: 0, maxVersion: 3 },
    ],
    throttleTimeMs: 0,
  });
  const parsedVersions = parsePlatformatic(platformatic.apiVersionsV3, 18, 3, apiVersions) as {
    apiKeys: { apiKey: number; name: string; minVersion: number; maxVersion: number }[];
  };
  // platformatic adds the API's name to each entry.
  assert.deepEqual(parsedVersions.apiKeys, [
    { apiKey: 0, name: 'Produce', minVersion: 3, maxVersion: 11 },
    { apiKey: 18, name: 'ApiVersions', minVersion: 0, maxVersion: 3 },
  ]);

  const produce = encodeOurs(apis[0].response, 11, {
    responses: [
      {
        name: 't',
        partitionResponses: [
          {
            index: 3,
            errorCode: 0,
            baseOffset: 100n,
            logAppendTimeMs: -1n,
            logStartOffset: 0n,
            recordErrors: [],
            errorMessage: null,
            currentLeader: { leaderId: 1, leaderEpoch: 5 },
          },
        ],
      },
    ],
    throttleTimeMs: 0,
  });
  const parsedProduce = parsePlatformatic(platformatic.produceV11, 0, 11, produce) as {
    responses: { partitionResponses: { baseOffset: bigint; currentLeader: unknown }[] }[];
  };
  assert.equal(parsedProduce.responses[0].partitionResponses[0].baseOffset, 100n);
  assert.deepEqual(parsedProduce.responses[0].partitionResponses[0].currentLeader, {
    leaderId: 1,
    leaderEpoch: 5,
  });

  const metadata = encodeOurs(apis[3].response, 12, {
    throttleTimeMs: 0,
    brokers: [{ nodeId: 1, host: 'h', port: 9092, rack: null }],
    clusterId: 'c',
    controllerId: 1,
    topics: [
      {
        errorCode: 0,
        name: 't',
        topicId: '0123abcd-0000-4000-8000-00000000cafe',
        isInternal: false,
        partitions: [
          {
            errorCode: 0,
            partitionIndex: 0,
            leaderId: 1,
            leaderEpoch: 2,
            replicaNodes: [1],
            isrNodes: [1],
            offlineReplicas: [],
          },
        ],
        topicAuthorizedOperations: 0,
      },
    ],
    clusterAuthorizedOperations: 0,
  });
  const parsedMetadata = parsePlatformatic(platformatic.metadataV12, 3, 12, metadata) as {
    brokers: unknown[];
    topics: { name: string; topicId: string; partitions: { leaderEpoch: number }[] }[];
  };
  assert.deepEqual(parsedMetadata.brokers, [{ nodeId: 1, host: 'h', port: 9092, rack: null }]);
  assert.equal(parsedMetadata.topics[0].name, 't');
  assert.equal(parsedMetadata.topics[0].topicId, '0123abcd-0000-4000-8000-00000000cafe');
  assert.equal(parsedMetadata.topics[0].partitions[0].leaderEpoch, 2);
});
