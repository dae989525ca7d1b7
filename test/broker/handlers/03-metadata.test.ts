// Metadata through a raw socket at the first, a middle and the last version: the broker list, topic list
// semantics (v0 empty = all; v1+ null = all, empty = none), auto-creation by request flag and broker
// config, invalid names, topic ids (unique, looked up by id, stable across a restart) and authorized ops.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestBroker } from '../../helpers/broker.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { MetadataApi } from '../../../src/protocol/messages/index.ts';
import { ZERO_UUID, adminSetup, connect, keptDataDir, metadata } from './admin-helpers.ts';

const INVALID_NAMES = ['.', '..', 'x'.repeat(250), 'bad/name', ''];

for (const version of [0, 6, 12]) {
  test(`Metadata v${version}: this broker, as controller and leader of every partition`, async (t) => {
    const { broker, client } = await adminSetup(t, { nodeId: 7, defaultPartitions: 2 });
    await broker.context.topics.create('alpha', 3, {});
    const res = await metadata(client, version, ['alpha']);
    assert.deepEqual(res.brokers, [{ nodeId: 7, host: '127.0.0.1', port: broker.port, rack: null }]);
    if (version >= 1) assert.equal(res.controllerId, 7);
    if (version >= 2) assert.equal(res.clusterId, broker.context.clusterId);
    assert.equal(res.topics.length, 1);
    const [topic] = res.topics;
    assert.equal(topic.errorCode, ErrorCode.NONE);
    assert.equal(topic.name, 'alpha');
    assert.equal(topic.isInternal, false);
    if (version >= 10) assert.equal(topic.topicId, broker.context.topics.get('alpha')!.id);
    assert.deepEqual(
      topic.partitions.map((p) => [p.partitionIndex, p.leaderId, p.replicaNodes, p.isrNodes]),
      [0, 1, 2].map((i) => [i, 7, [7], [7]]),
    );
    for (const p of topic.partitions) {
      assert.equal(p.errorCode, ErrorCode.NONE);
      if (version >= 5) assert.deepEqual(p.offlineReplicas, []);
      if (version >= 7) assert.equal(p.leaderEpoch, 0);
    }
    if (version >= 8) assert.equal(topic.topicAuthorizedOperations, -2147483648);
  });

  test(`Metadata v${version}: the list of all topics, and an unknown topic without auto-creation`, async (t) => {
    const { broker, client } = await adminSetup(t);
    await broker.context.topics.create('b-topic', 1, {});
    await broker.context.topics.create('a-topic', 1, {});
    const all = await metadata(client, version, version === 0 ? [] : null);
    assert.deepEqual(
      all.topics.map((x) => x.name),
      ['a-topic', 'b-topic'],
    );
    const unknown = await metadata(client, version, ['nope'], { allowAutoTopicCreation: false });
    if (version >= 4) {
      assert.equal(unknown.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      assert.equal(broker.context.topics.get('nope'), undefined);
    } else {
      // v0-3 cannot say "don't create": the broker's setting alone decides.
      assert.equal(unknown.topics[0].errorCode, ErrorCode.NONE);
    }
  });

  test(`Metadata v${version}: invalid names are refused and never created`, async (t) => {
    const { broker, client } = await adminSetup(t);
    const res = await metadata(client, version, INVALID_NAMES, { allowAutoTopicCreation: true });
    assert.deepEqual(
      res.topics.map((x) => [x.name, x.errorCode]),
      INVALID_NAMES.map((n) => [n, ErrorCode.INVALID_TOPIC_EXCEPTION]),
    );
    assert.deepEqual(broker.context.topics.list(), []);
  });
}

test('Metadata v1+: an empty topic list means no topics (brokers only)', async (t) => {
  const { broker, client } = await adminSetup(t);
  await broker.context.topics.create('present', 1, {});
  for (const version of [1, 4, 9, 12]) {
    const res = await metadata(client, version, []);
    assert.deepEqual(res.topics, [], `v${version}`);
    assert.equal(res.brokers.length, 1);
  }
});

test('Metadata auto-creates with the default partition count when the request and the broker allow it', async (t) => {
  const { broker, client } = await adminSetup(t, { defaultPartitions: 3 });
  const res = await metadata(client, 12, ['fresh', 'fresh'], { allowAutoTopicCreation: true });
  assert.equal(res.topics.length, 1, 'a name asked twice is answered once');
  const [topic] = res.topics;
  assert.equal(topic.errorCode, ErrorCode.NONE);
  assert.equal(topic.partitions.length, 3);
  const created = broker.context.topics.get('fresh');
  assert.ok(created);
  assert.equal(topic.topicId, created.id);

  const old = await metadata(client, 0, ['old-client']);
  assert.equal(old.topics[0].errorCode, ErrorCode.NONE);
  assert.ok(broker.context.topics.get('old-client'));
});

test('Metadata never auto-creates when the broker has auto-creation off', async (t) => {
  const { broker, client } = await adminSetup(t, { autoCreateTopics: false });
  for (const version of [0, 3, 4, 12]) {
    const res = await metadata(client, version, ['wanted'], { allowAutoTopicCreation: true });
    assert.equal(res.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `v${version}`);
  }
  assert.equal(broker.context.topics.get('wanted'), undefined);
});

test('Metadata v10+: topic ids are unique, never zero, and topics are found by id', async (t) => {
  const { broker, client } = await adminSetup(t);
  for (let i = 0; i < 20; i++) await broker.context.topics.create(`t${i}`, 1, {});
  const all = await metadata(client, 12, null);
  const ids = all.topics.map((x) => x.topicId);
  assert.equal(new Set(ids).size, 20);
  for (const id of ids) {
    assert.notEqual(id, ZERO_UUID);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  }

  const t7 = broker.context.topics.get('t7')!;
  const unknownId = '0f0e0d0c-0b0a-4908-8706-050403020100';
  const byId = await client.request(MetadataApi, 12, {
    topics: [
      { topicId: t7.id, name: null },
      { topicId: unknownId, name: null },
    ],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  assert.deepEqual(
    byId.topics.map((x) => [x.name, x.topicId, x.errorCode]),
    [
      ['t7', t7.id, ErrorCode.NONE],
      [null, unknownId, ErrorCode.UNKNOWN_TOPIC_ID],
    ],
  );
  // v10-11 may not carry a null name; the unknown id still answers UNKNOWN_TOPIC_ID.
  const v10 = await client.request(MetadataApi, 10, {
    topics: [{ topicId: unknownId, name: null }],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  assert.equal(v10.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
});

test('Metadata: topic ids survive a restart on the same data directory', async (t) => {
  const dataDir = await keptDataDir(t);
  const first = await startTestBroker(t, { dataDir });
  const client1 = await connect(t, first.port);
  await metadata(client1, 12, ['kept-a', 'kept-b'], { allowAutoTopicCreation: true });
  const before = (await metadata(client1, 12, null)).topics.map((x) => [x.name, x.topicId]);
  client1.close();
  await first.close();

  const second = await startTestBroker(t, { dataDir });
  const client2 = await connect(t, second.port);
  const after = (await metadata(client2, 12, null)).topics.map((x) => [x.name, x.topicId]);
  assert.deepEqual(after, before);
  assert.equal(second.context.clusterId, first.context.clusterId);
});

test('Metadata v8+: authorized operations are reported when asked for', async (t) => {
  const { broker, client } = await adminSetup(t);
  await broker.context.topics.create('ops', 1, {});
  const res = await metadata(client, 10, ['ops'], {
    includeTopicAuthorizedOperations: true,
    includeClusterAuthorizedOperations: true,
  });
  // READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS: bits 3-8, 10, 11.
  assert.equal(res.topics[0].topicAuthorizedOperations, 0b1101_1111_1000);
  // CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE.
  assert.equal(res.clusterAuthorizedOperations, 0b1_1111_1010_0000);
  const unasked = await metadata(client, 10, ['ops']);
  assert.equal(unasked.clusterAuthorizedOperations, -2147483648);
});

test('Metadata advertises the configured host and port, not the bound ones', async (t) => {
  const { client } = await adminSetup(t, { advertisedHost: 'broker.example', advertisedPort: 19092 });
  const res = await metadata(client, 4, []);
  assert.deepEqual(res.brokers, [{ nodeId: 1, host: 'broker.example', port: 19092, rack: null }]);
});
