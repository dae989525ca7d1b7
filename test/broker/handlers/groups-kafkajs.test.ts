// Consumer groups with kafkajs 2.2.4 (JoinGroup v5, SyncGroup v3, Heartbeat v3, OffsetCommit v5,
// OffsetFetch v4, LeaveGroup v3): a balanced group of three, one leaving cleanly and one SIGKILLed with
// nothing lost; manual commits surviving a SIGKILL of the broker; the admin calls against what the
// coordinator holds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AssignerProtocol, Kafka, logLevel, type Consumer } from 'kafkajs';
import { startTestBroker } from '../../helpers/broker.ts';
import { startBrokerProcess } from '../../helpers/broker-process.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { keptDataDir } from './admin-helpers.ts';
import { cleanupStack, childConsumer, childRecords, produceTo, waitForBalance } from './group-clients.ts';

type Cleanup = ReturnType<typeof cleanupStack>;

const SESSION = {
  sessionTimeout: 6000,
  heartbeatInterval: 500,
  rebalanceTimeout: 10_000,
  maxWaitTimeInMs: 500,
};

function kafka(bootstrap: string): Kafka {
  return new Kafka({
    clientId: 'groups-test',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, maxRetryTime: 2000 },
  });
}

/**
 * A kafkajs consumer in this process, from the earliest offset; its records as "partition:offset:value".
 * Tests disconnect it themselves; the cleanup stack covers a test that failed half-way (and still runs
 * before the broker closes).
 */
async function member(
  cleanup: Cleanup,
  client: Kafka,
  groupId: string,
  topic: string,
  options: {
    autoCommit?: boolean;
    onMessage?: (partition: number, offset: string, consumer: Consumer) => Promise<void>;
  } = {},
): Promise<{ consumer: Consumer; records: string[] }> {
  const consumer = client.consumer({ groupId, ...SESSION });
  const records: string[] = [];
  await consumer.connect();
  cleanup(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: options.autoCommit ?? true,
    eachMessage: async ({ partition, message }) => {
      records.push(`${partition}:${message.offset}:${message.value?.toString()}`);
      await options.onMessage?.(partition, message.offset, consumer);
    },
  });
  return { consumer, records };
}

const valuesOf = (records: string[]): Set<string> =>
  new Set(records.map((r) => r.split(':').slice(2).join(':')));

test('kafkajs: 3 consumers on 6 partitions get 2 each; one leaves, one is SIGKILLed; every record is consumed', async (t) => {
  const cleanup = cleanupStack(t);
  const broker = await startTestBroker(t);
  await broker.context.topics.create('events', 6, {});
  const client = kafka(broker.bootstrap);
  const a = await member(cleanup, client, 'g1', 'events');
  const b = await member(cleanup, client, 'g1', 'events');
  const c = childConsumer(t, {
    client: 'kafkajs',
    bootstrap: broker.bootstrap,
    groupId: 'g1',
    topic: 'events',
  });
  const balanced = await waitForBalance(
    broker,
    'g1',
    [2, 2, 2],
    'three kafkajs members with 2 partitions each',
  );
  assert.equal(new Set([...balanced.values()].flat()).size, 6);

  const consumed = (): Set<string> =>
    new Set([...valuesOf(a.records), ...valuesOf(b.records), ...valuesOf(childRecords(c))]);
  const first = await produceTo(broker, 'events', 6, 3, 'first');
  await waitFor(() => first.every((v) => consumed().has(v)), {
    what: 'the first records, across the three members',
  });

  await a.consumer.disconnect(); // LeaveGroup
  await c.kill('SIGKILL'); // found out by its session timeout
  await waitForBalance(broker, 'g1', [6], 'the last member with all 6 partitions');
  const second = await produceTo(broker, 'events', 6, 3, 'second');
  await waitFor(() => second.every((v) => valuesOf(b.records).has(v)), {
    what: 'the survivor consuming everything new',
  });
  for (const v of [...first, ...second]) assert.ok(consumed().has(v), `${v} was never consumed`);
  await b.consumer.disconnect();
});

test('kafkajs: manual commits survive a SIGKILL of the broker; a restarted consumer resumes at the committed offset', async (t) => {
  const cleanup = cleanupStack(t);
  const dataDir = await keptDataDir(t);
  let brokerProcess = await startBrokerProcess(t, { dataDir });
  let client = kafka(`127.0.0.1:${brokerProcess.port}`);
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 2 }] });
  const producer = client.producer();
  await producer.connect();
  for (const partition of [0, 1]) {
    await producer.send({
      topic: 'events',
      messages: Array.from({ length: 10 }, (_, i) => ({ partition, value: `p${partition}-${i}` })),
    });
  }
  await producer.disconnect();
  // Commit after each of the first 6 records of each partition, never after the others.
  const first = await member(cleanup, client, 'manual', 'events', {
    autoCommit: false,
    async onMessage(partition, offset, consumer) {
      const next = BigInt(offset) + 1n;
      if (next <= 6n) await consumer.commitOffsets([{ topic: 'events', partition, offset: String(next) }]);
    },
  });
  await waitFor(() => first.records.length === 20, { what: 'all 20 records consumed' });
  const committed = async () =>
    (await admin.fetchOffsets({ groupId: 'manual', topics: ['events'] }))[0].partitions
      .map((p) => `${p.partition}:${p.offset}`)
      .sort();
  assert.deepEqual(await committed(), ['0:6', '1:6']);
  await first.consumer.disconnect();
  await admin.disconnect();

  await brokerProcess.kill('SIGKILL');
  brokerProcess = await startBrokerProcess(t, { dataDir });
  client = kafka(`127.0.0.1:${brokerProcess.port}`);
  const second = await member(cleanup, client, 'manual', 'events', { autoCommit: false });
  await waitFor(() => second.records.length === 8, { what: 'the records after the committed offsets' });
  assert.deepEqual(second.records.map((r) => r.split(':').slice(0, 2).join(':')).sort(), [
    '0:6',
    '0:7',
    '0:8',
    '0:9',
    '1:6',
    '1:7',
    '1:8',
    '1:9',
  ]);
  await second.consumer.disconnect();
});

test('kafkajs admin: describeGroups, listGroups, fetchOffsets, setOffsets, resetOffsets and deleteGroups agree with the coordinator', async (t) => {
  const cleanup = cleanupStack(t);
  const broker = await startTestBroker(t);
  const client = kafka(broker.bootstrap);
  const admin = client.admin();
  await admin.connect();
  cleanup(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 2 }] });
  await produceTo(broker, 'events', 2, 5, 'r');
  const { consumer, records } = await member(cleanup, client, 'admin-g', 'events');
  await waitFor(() => records.length === 10, { what: 'the consumer reading both partitions' });
  const offsets = async () =>
    (await admin.fetchOffsets({ groupId: 'admin-g', topics: ['events'] }))[0].partitions
      .map((p) => `${p.partition}:${p.offset}`)
      .sort();
  await waitFor(async () => (await offsets()).join() === '0:5,1:5', { what: 'offsets 5 committed' });

  const { groups } = await admin.describeGroups(['admin-g']);
  assert.equal(groups[0].state, 'Stable');
  assert.equal(groups[0].protocolType, 'consumer');
  assert.equal(groups[0].protocol, 'RoundRobinAssigner');
  assert.equal(groups[0].members.length, 1);
  const assigned = AssignerProtocol.MemberAssignment.decode(groups[0].members[0].memberAssignment);
  assert.deepEqual(assigned?.assignment, { events: [0, 1] });
  assert.deepEqual(
    broker.context.groups.describe('admin-g').members[0].memberId,
    groups[0].members[0].memberId,
  );
  assert.deepEqual((await admin.listGroups()).groups, [{ groupId: 'admin-g', protocolType: 'consumer' }]);

  await consumer.disconnect();
  assert.equal((await admin.describeGroups(['admin-g'])).groups[0].state, 'Empty');
  await admin.setOffsets({
    groupId: 'admin-g',
    topic: 'events',
    partitions: [{ partition: 0, offset: '2' }],
  });
  assert.deepEqual(await offsets(), ['0:2', '1:5']);
  assert.equal(broker.context.offsets.offset('admin-g', 'events', 0)?.offset, 2n);
  // kafkajs resets by seeking a member of the group to -2 (earliest) and committing that: Kafka stores
  // the -2 as given, and so does this broker; kafkajs reads a negative offset back as "none committed".
  await admin.resetOffsets({ groupId: 'admin-g', topic: 'events', earliest: true });
  assert.deepEqual(
    [0, 1].map((p) => broker.context.offsets.offset('admin-g', 'events', p)?.offset),
    [-2n, -2n],
  );
  assert.deepEqual(await offsets(), ['0:-2', '1:-2']);
  assert.equal(broker.context.groups.describe('admin-g').groupState, 'Empty');

  await admin.deleteGroups(['admin-g']);
  assert.deepEqual((await admin.listGroups()).groups, []);
  assert.deepEqual(await offsets(), ['0:-1', '1:-1']);
  assert.equal((await admin.describeGroups(['admin-g'])).groups[0].state, 'Dead');
});
