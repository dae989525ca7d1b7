// Consumer groups with @platformatic/kafka 2.12 (flexible versions: FindCoordinator v4, JoinGroup v9,
// SyncGroup v5, Heartbeat v4, LeaveGroup v5, OffsetCommit v8, OffsetFetch v8, DescribeGroups v5,
// ListGroups v5): a balanced group of three, one leaving cleanly and one SIGKILLed with nothing lost;
// manual commits surviving a SIGKILL of the broker; the Admin group calls against what the coordinator holds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin, Consumer, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka';
import { startTestBroker } from '../../helpers/broker.ts';
import { startBrokerProcess } from '../../helpers/broker-process.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { keptDataDir } from './admin-helpers.ts';
import { cleanupStack, childConsumer, childRecords, produceTo, waitForBalance } from './group-clients.ts';

type Cleanup = ReturnType<typeof cleanupStack>;

const SESSION = { sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 10_000 };

interface Member {
  consumer: Consumer<string, string, string, string>;
  /** "partition:offset:value" of each record. */
  records: string[];
  close(): Promise<void>;
}

/**
 * A platformatic consumer in this process, from the committed offset (else the earliest). Tests close it
 * themselves; the cleanup stack covers a test that failed half-way (still before the broker goes).
 */
async function member(
  cleanup: Cleanup,
  bootstrap: string,
  groupId: string,
  topic: string,
  options: { autocommit?: boolean; commitBelow?: bigint } = {},
): Promise<Member> {
  const consumer = new Consumer({
    clientId: 'groups-test',
    groupId,
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 500,
    retries: 5,
    ...SESSION,
  });
  const records: string[] = [];
  const stream = await consumer.consume({
    topics: [topic],
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode: 'earliest',
    autocommit: options.autocommit ?? 200,
  });
  stream.on('data', (message) => {
    records.push(`${message.partition}:${message.offset}:${message.value}`);
    // Manual commits: each record below `commitBelow` is committed once consumed, the others never.
    if (options.commitBelow !== undefined && message.offset < options.commitBelow) void message.commit();
  });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await stream.close();
    await consumer.close();
  };
  cleanup(close);
  return { consumer, records, close };
}

const valuesOf = (records: string[]): Set<string> =>
  new Set(records.map((r) => r.split(':').slice(2).join(':')));

function admin(cleanup: Cleanup, bootstrap: string): Admin {
  const client = new Admin({ clientId: 'groups-admin', bootstrapBrokers: [bootstrap], retries: 5 });
  cleanup(() => client.close());
  return client;
}

test('platformatic: 3 consumers on 6 partitions get 2 each; one leaves, one is SIGKILLed; every record is consumed', async (t) => {
  const cleanup = cleanupStack(t);
  const broker = await startTestBroker(t);
  await broker.context.topics.create('events', 6, {});
  const a = await member(cleanup, broker.bootstrap, 'g1', 'events');
  const b = await member(cleanup, broker.bootstrap, 'g1', 'events');
  const c = childConsumer(t, {
    client: 'platformatic',
    bootstrap: broker.bootstrap,
    groupId: 'g1',
    topic: 'events',
  });
  const balanced = await waitForBalance(
    broker,
    'g1',
    [2, 2, 2],
    'three platformatic members with 2 partitions each',
  );
  assert.equal(new Set([...balanced.values()].flat()).size, 6);

  const consumed = (): Set<string> =>
    new Set([...valuesOf(a.records), ...valuesOf(b.records), ...valuesOf(childRecords(c))]);
  const first = await produceTo(broker, 'events', 6, 3, 'first');
  await waitFor(() => first.every((v) => consumed().has(v)), {
    what: 'the first records, across the three members',
  });

  await a.close(); // LeaveGroup
  await c.kill('SIGKILL'); // found out by its session timeout
  await waitForBalance(broker, 'g1', [6], 'the last member with all 6 partitions');
  const second = await produceTo(broker, 'events', 6, 3, 'second');
  await waitFor(() => second.every((v) => valuesOf(b.records).has(v)), {
    what: 'the survivor consuming everything new',
  });
  for (const v of [...first, ...second]) assert.ok(consumed().has(v), `${v} was never consumed`);
  await b.close();
});

test('platformatic: manual commits survive a SIGKILL of the broker; a restarted consumer resumes at the committed offset', async (t) => {
  const cleanup = cleanupStack(t);
  const dataDir = await keptDataDir(t);
  let brokerProcess = await startBrokerProcess(t, { dataDir });
  let bootstrap = `127.0.0.1:${brokerProcess.port}`;
  const setup = admin(cleanup, bootstrap);
  await setup.createTopics({ topics: ['events'], partitions: 2, replicas: 1 });
  await setup.close();
  const client = await import('../../helpers/raw-client.ts').then((m) =>
    m.RawClient.connect(brokerProcess.port),
  );
  const { produce } = await import('../../helpers/records-io.ts');
  for (const p of [0, 1])
    await produce(
      client,
      'events',
      p,
      Array.from({ length: 10 }, (_, i) => `p${p}-${i}`),
    );
  client.close();

  const first = await member(cleanup, bootstrap, 'manual', 'events', { autocommit: false, commitBelow: 6n });
  await waitFor(() => first.records.length === 20, { what: 'all 20 records consumed' });
  const offsets = admin(cleanup, bootstrap);
  await waitFor(
    async () => {
      const [group] = await offsets.listConsumerGroupOffsets({ groups: ['manual'] });
      const committed = group.topics.flatMap((topic) =>
        topic.partitions.map((p) => `${p.partitionIndex}:${p.committedOffset}`),
      );
      return committed.sort().join() === '0:6,1:6';
    },
    { what: 'offsets 6 committed on both partitions' },
  );
  await offsets.close();
  await first.close();

  await brokerProcess.kill('SIGKILL');
  brokerProcess = await startBrokerProcess(t, { dataDir });
  bootstrap = `127.0.0.1:${brokerProcess.port}`;
  const second = await member(cleanup, bootstrap, 'manual', 'events', { autocommit: false });
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
  await second.close();
});

test('platformatic Admin: listGroups, describeGroups, removeMembers, list/alter/delete group offsets and deleteGroups', async (t) => {
  const cleanup = cleanupStack(t);
  const broker = await startTestBroker(t);
  const client = admin(cleanup, broker.bootstrap);
  await client.createTopics({ topics: ['events'], partitions: 2, replicas: 1 });
  await produceTo(broker, 'events', 2, 5, 'r');
  const m = await member(cleanup, broker.bootstrap, 'padmin', 'events');
  await waitFor(() => m.records.length === 10, { what: 'the consumer reading both partitions' });
  const committed = async () => {
    const [group] = await client.listConsumerGroupOffsets({ groups: ['padmin'] });
    return group.topics
      .flatMap((topic) =>
        topic.partitions.map((p) => `${topic.name}:${p.partitionIndex}:${p.committedOffset}`),
      )
      .sort();
  };
  await waitFor(async () => (await committed()).join() === 'events:0:5,events:1:5', {
    what: 'offsets 5 committed',
  });

  const listed = await client.listGroups();
  assert.deepEqual(
    [...listed.values()].map((g) => [g.id, g.protocolType, g.state, g.groupType]),
    [['padmin', 'consumer', 'Stable', 'classic']],
  );
  assert.equal((await client.listGroups({ states: ['Empty'] })).size, 0);
  assert.equal((await client.listGroups({ states: ['Stable'], types: ['classic'] })).size, 1);
  const described = (await client.describeGroups({ groups: ['padmin'] })).get('padmin')!;
  assert.deepEqual(
    [described.state, described.protocolType, described.protocol],
    ['Stable', 'consumer', 'roundrobin'],
  );
  const [memberId] = [...described.members.keys()];
  assert.deepEqual(
    [...described.members.get(memberId)!.assignments!.values()].map((a) => [a.topic, a.partitions]),
    [['events', [0, 1]]],
  );
  assert.equal(broker.context.groups.describe('padmin').members[0].memberId, memberId);

  // Removing the member (LeaveGroup v5, batched): the consumer notices and joins again under a new id.
  await client.removeMembersFromConsumerGroup({ groupId: 'padmin', members: [{ memberId, reason: 'test' }] });
  await waitFor(
    () => {
      const now = broker.context.groups.describe('padmin');
      return now.groupState === 'Stable' && now.members.length === 1 && now.members[0].memberId !== memberId;
    },
    { what: 'the removed consumer back under a new member id' },
  );

  await m.close();
  assert.equal((await client.describeGroups({ groups: ['padmin'] })).get('padmin')!.state, 'Empty');
  await client.alterConsumerGroupOffsets({
    groupId: 'padmin',
    topics: [{ name: 'events', partitionOffsets: [{ partition: 0, offset: 1n }] }],
  });
  assert.deepEqual(await committed(), ['events:0:1', 'events:1:5']);
  await client.deleteConsumerGroupOffsets({
    groupId: 'padmin',
    topics: [{ name: 'events', partitionIndexes: [1] }],
  });
  assert.deepEqual(await committed(), ['events:0:1']);
  assert.equal(broker.context.offsets.offset('padmin', 'events', 1), undefined);

  await client.deleteGroups({ groups: ['padmin'] });
  assert.equal((await client.listGroups()).size, 0);
  assert.deepEqual(await committed(), []);
});
