// The admin side of @platformatic/kafka 2.x, which speaks only flexible versions (CreateTopics v7,
// DeleteTopics v6, Metadata v12, CreatePartitions v3, DescribeConfigs v4, IncrementalAlterConfigs v1):
// createTopics returns the real topic UUIDs, metadata carries the same ids, and the rest round-trips.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import { ZERO_UUID } from '../../../src/broker/topics/topic-manager.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { startTestBroker, type TestBroker } from '../../helpers/broker.ts';

async function platformaticAdmin(t: TestContext): Promise<{ broker: TestBroker; admin: Admin }> {
  const broker = await startTestBroker(t, { defaultPartitions: 2 });
  const admin = new Admin({
    clientId: 'sluice-admin-test',
    bootstrapBrokers: [broker.bootstrap],
    retries: 2,
  });
  t.after(() => admin.close());
  return { broker, admin };
}

test('platformatic admin: createTopics with real topic ids, listTopics, metadata, deleteTopics', async (t) => {
  const { broker, admin } = await platformaticAdmin(t);
  const created = await admin.createTopics({ topics: ['first', 'second'], partitions: 3, replicas: 1 });
  assert.deepEqual(
    created.map((c) => [c.name, c.partitions, c.replicas]),
    [
      ['first', 3, 1],
      ['second', 3, 1],
    ],
  );
  for (const c of created) {
    assert.equal(c.id, broker.context.topics.get(c.name)!.id);
    assert.notEqual(c.id, ZERO_UUID);
    assert.equal(c.configuration['cleanup.policy'], 'delete');
  }
  assert.notEqual(created[0].id, created[1].id);

  assert.deepEqual(await admin.listTopics(), ['first', 'second']);
  const md = await admin.metadata({ topics: ['first', 'second'] });
  assert.equal(md.controllerId, 1);
  assert.equal(md.id, broker.context.clusterId);
  assert.deepEqual(
    [...md.brokers.values()].map((b) => [b.host, b.port]),
    [['127.0.0.1', broker.port]],
  );
  for (const c of created) {
    const topic = md.topics.get(c.name)!;
    assert.equal(topic.id, c.id);
    assert.equal(topic.partitionsCount, 3);
    assert.deepEqual(
      topic.partitions.map((p) => [p.leader, p.replicas]),
      [0, 1, 2].map(() => [1, [1]]),
    );
  }

  await admin.deleteTopics({ topics: ['first'] });
  assert.deepEqual(await admin.listTopics(), ['second']);
  assert.equal(broker.context.topics.get('first'), undefined);
});

interface WithResponse {
  errors?: WithResponse[];
  response?: Record<string, { errorCode: number }[]>;
}

/** The error codes in the first broker response found in a failed platformatic admin call's error tree. */
async function errorCodesOf(call: Promise<unknown>): Promise<number[]> {
  try {
    await call;
  } catch (err) {
    const find = (e: WithResponse): WithResponse['response'] =>
      e.response ?? e.errors?.map(find).find((r) => r !== undefined);
    const response = find(err as WithResponse);
    assert.ok(response, `no broker response in ${String(err)}`);
    return (response.topics ?? response.responses).map((x) => x.errorCode);
  }
  return assert.fail('the call did not fail');
}

test('platformatic admin: errors for an existing topic, a replication factor above 1, an unknown topic', async (t) => {
  const { admin } = await platformaticAdmin(t);
  await admin.createTopics({ topics: ['taken'] });
  assert.deepEqual(await errorCodesOf(admin.createTopics({ topics: ['taken'] })), [
    ErrorCode.TOPIC_ALREADY_EXISTS,
  ]);
  assert.deepEqual(await errorCodesOf(admin.createTopics({ topics: ['wide'], replicas: 3 })), [
    ErrorCode.INVALID_REPLICATION_FACTOR,
  ]);
  assert.deepEqual(await errorCodesOf(admin.deleteTopics({ topics: ['never-was'] })), [
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ]);
});

test('platformatic admin: createPartitions, describeConfigs and incrementalAlterConfigs', async (t) => {
  const { broker, admin } = await platformaticAdmin(t);
  await admin.createTopics({ topics: ['configured'], partitions: 1 });
  await admin.createPartitions({ topics: [{ name: 'configured', count: 3, assignments: [] }] });
  assert.equal(broker.context.topics.get('configured')!.partitions.length, 3);

  await admin.incrementalAlterConfigs({
    resources: [
      {
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: 'configured',
        configs: [
          { name: 'retention.ms', configOperation: IncrementalAlterConfigOperationTypes.SET, value: '90000' },
        ],
      },
    ],
  });
  const [description] = await admin.describeConfigs({
    resources: [
      {
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: 'configured',
        configurationKeys: ['retention.ms'],
      },
    ],
    includeSynonyms: true,
  });
  assert.deepEqual(
    description.configs.map((c) => [c.name, c.value, c.configSource]),
    [['retention.ms', '90000', 1]],
  );
  assert.equal(broker.context.topics.get('configured')!.settings['retention.ms'], 90_000);
});
