// The admin side of kafkajs 2.2.4 against this broker: createTopics (CreateTopics v3), listTopics and
// fetchTopicMetadata (Metadata v6), deleteTopics (DeleteTopics v1), createPartitions (v1),
// describeConfigs (v2) and alterConfigs (v1), describeCluster (Metadata), each checked against the broker.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import kafkajs, { Kafka, logLevel, type Admin } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../../helpers/broker.ts';

// A CommonJS module: this export is only reachable through the default import.
const { ConfigResourceTypes } = kafkajs;

async function kafkajsAdmin(t: TestContext): Promise<{ broker: TestBroker; admin: Admin }> {
  const broker = await startTestBroker(t, { nodeId: 2, defaultPartitions: 2 });
  const kafka = new Kafka({
    clientId: 'sluice-admin-test',
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  });
  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  return { broker, admin };
}

test('kafkajs admin: createTopics, listTopics, fetchTopicMetadata, deleteTopics', async (t) => {
  const { broker, admin } = await kafkajsAdmin(t);
  const created = await admin.createTopics({
    topics: [
      { topic: 'orders', numPartitions: 3 },
      { topic: 'audit', configEntries: [{ name: 'retention.ms', value: '3600000' }] },
    ],
  });
  assert.equal(created, true);
  // kafkajs answers false (not an error) when every topic already exists.
  assert.equal(await admin.createTopics({ topics: [{ topic: 'orders' }] }), false);
  assert.deepEqual((await admin.listTopics()).sort(), ['audit', 'orders']);
  assert.deepEqual(broker.context.topics.get('audit')!.overrides, { 'retention.ms': '3600000' });

  const { topics } = await admin.fetchTopicMetadata({ topics: ['orders', 'audit'] });
  const byName = new Map(topics.map((x) => [x.name, x]));
  assert.equal(byName.get('orders')!.partitions.length, 3);
  assert.equal(byName.get('audit')!.partitions.length, 2);
  for (const p of byName.get('orders')!.partitions) {
    assert.equal(p.leader, 2);
    assert.deepEqual(p.replicas, [2]);
    assert.deepEqual(p.isr, [2]);
  }

  await admin.deleteTopics({ topics: ['orders'] });
  assert.deepEqual(await admin.listTopics(), ['audit']);
  assert.equal(broker.context.topics.get('orders'), undefined);
});

/** The Kafka error type of the single topic error in a kafkajs createTopics rejection. */
async function createTopicsErrorType(admin: Admin, topic: Parameters<Admin['createTopics']>[0]['topics'][0]) {
  try {
    await admin.createTopics({ topics: [topic] });
  } catch (err) {
    const errors = (err as { errors?: { type?: string; topic?: string }[] }).errors ?? [];
    assert.equal(errors.length, 1);
    assert.equal(errors[0].topic, topic.topic);
    return errors[0].type;
  }
  assert.fail(`creating ${topic.topic} did not fail`);
}

test('kafkajs admin: createTopics errors surface as kafkajs errors', async (t) => {
  const { broker, admin } = await kafkajsAdmin(t);
  assert.equal(
    await createTopicsErrorType(admin, { topic: 'replicated', replicationFactor: 3 }),
    'INVALID_REPLICATION_FACTOR',
  );
  assert.equal(
    await createTopicsErrorType(admin, {
      topic: 'bad-config',
      configEntries: [{ name: 'retention.ms', value: 'x' }],
    }),
    'INVALID_CONFIG',
  );
  assert.equal(await createTopicsErrorType(admin, { topic: 'bad/name' }), 'INVALID_TOPIC_EXCEPTION');
  assert.deepEqual(broker.context.topics.list(), []);
});

test('kafkajs admin: createPartitions grows a topic; shrinking is refused', async (t) => {
  const { broker, admin } = await kafkajsAdmin(t);
  await admin.createTopics({ topics: [{ topic: 'growing', numPartitions: 1 }] });
  await admin.createPartitions({ topicPartitions: [{ topic: 'growing', count: 4 }] });
  assert.equal(broker.context.topics.get('growing')!.partitions.length, 4);
  const { topics } = await admin.fetchTopicMetadata({ topics: ['growing'] });
  assert.equal(topics[0].partitions.length, 4);
  await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'growing', count: 2 }] }));
});

test('kafkajs admin: describeConfigs and alterConfigs round trip', async (t) => {
  const { broker, admin } = await kafkajsAdmin(t);
  await admin.createTopics({ topics: [{ topic: 'tuned' }] });
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      {
        type: ConfigResourceTypes.TOPIC,
        name: 'tuned',
        configEntries: [
          { name: 'retention.ms', value: '7200000' },
          { name: 'max.message.bytes', value: '200000' },
        ],
      },
    ],
  });
  assert.equal(broker.context.topics.get('tuned')!.settings['retention.ms'], 7_200_000);

  const described = await admin.describeConfigs({
    includeSynonyms: true,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: 'tuned' }],
  });
  const entries = new Map(described.resources[0].configEntries.map((e) => [e.configName, e]));
  assert.equal(entries.get('retention.ms')!.configValue, '7200000');
  assert.equal(entries.get('retention.ms')!.isDefault, false);
  assert.equal(entries.get('max.message.bytes')!.configValue, '200000');
  assert.equal(entries.get('segment.bytes')!.configValue, String(broker.config.segmentBytes));
  assert.equal(entries.get('segment.bytes')!.isDefault, true);

  const broker4 = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.BROKER, name: '2', configNames: ['num.partitions'] }],
  });
  assert.deepEqual(
    broker4.resources[0].configEntries.map((e) => [e.configName, e.configValue, e.readOnly]),
    [['num.partitions', '2', true]],
  );

  await assert.rejects(
    admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: 'tuned',
          configEntries: [{ name: 'segment.ms', value: '0' }],
        },
      ],
    }),
  );
});

test('kafkajs admin: describeCluster names this broker as the controller', async (t) => {
  const { broker, admin } = await kafkajsAdmin(t);
  const cluster = await admin.describeCluster();
  assert.equal(cluster.controller, 2);
  assert.equal(cluster.clusterId, broker.context.clusterId);
  assert.deepEqual(cluster.brokers, [{ nodeId: 2, host: '127.0.0.1', port: broker.port }]);
});
