// Consumer groups of different clients at once: kcat, kafkajs and @platformatic/kafka groups on their own
// topics side by side; members of one group with different assignors (INCONSISTENT_GROUP_PROTOCOL); and
// the seed's fan-out: three independent groups each receiving every record of the same topic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka';
import { Kafka, logLevel, type Consumer as KafkajsConsumer } from 'kafkajs';
import { startTestBroker } from '../../helpers/broker.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { cleanupStack, kcatMember, produceTo } from './group-clients.ts';

type Cleanup = ReturnType<typeof cleanupStack>;

const SESSION = { sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 10_000 };

async function kafkajsMember(
  cleanup: Cleanup,
  bootstrap: string,
  groupId: string,
  topic: string,
): Promise<{ consumer: KafkajsConsumer; values: string[] }> {
  const kafka = new Kafka({ clientId: 'mixed', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId, ...SESSION, maxWaitTimeInMs: 500 });
  const values: string[] = [];
  await consumer.connect();
  cleanup(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      values.push(message.value!.toString());
      return Promise.resolve();
    },
  });
  return { consumer, values };
}

function platformaticConsumer(
  cleanup: Cleanup,
  bootstrap: string,
  groupId: string,
): Consumer<string, string, string, string> {
  const consumer = new Consumer({
    clientId: 'mixed',
    groupId,
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 500,
    retries: 2,
    ...SESSION,
  });
  cleanup(() => consumer.close(true));
  return consumer;
}

async function platformaticMember(
  cleanup: Cleanup,
  bootstrap: string,
  groupId: string,
  topic: string,
): Promise<{ values: string[]; close(): Promise<void> }> {
  const consumer = platformaticConsumer(cleanup, bootstrap, groupId);
  const stream = await consumer.consume({
    topics: [topic],
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode: 'earliest',
    autocommit: 200,
  });
  const values: string[] = [];
  stream.on('data', (message) => values.push(message.value));
  return {
    values,
    async close() {
      await stream.close();
      await consumer.close();
    },
  };
}

const kcatValues = (lines: string[]): string[] => lines.map((l) => l.split(' ').slice(2).join(' '));

test('groups of kcat, kafkajs and platformatic on their own topics at once', async (t) => {
  const cleanup = cleanupStack(t);
  const broker = await startTestBroker(t);
  for (const topic of ['for-kcat', 'for-kafkajs', 'for-platformatic'])
    await broker.context.topics.create(topic, 2, {});
  const k = kcatMember(t, broker.bootstrap, 'kcat-group', 'for-kcat');
  const j = await kafkajsMember(cleanup, broker.bootstrap, 'kafkajs-group', 'for-kafkajs');
  const p = await platformaticMember(cleanup, broker.bootstrap, 'platformatic-group', 'for-platformatic');
  const [kv, jv, pv] = await Promise.all([
    produceTo(broker, 'for-kcat', 2, 10, 'k'),
    produceTo(broker, 'for-kafkajs', 2, 10, 'j'),
    produceTo(broker, 'for-platformatic', 2, 10, 'p'),
  ]);
  await waitFor(() => kv.every((v) => kcatValues(k.lines).includes(v)), { what: 'kcat group consuming' });
  await waitFor(() => jv.every((v) => j.values.includes(v)), { what: 'kafkajs group consuming' });
  await waitFor(() => pv.every((v) => p.values.includes(v)), { what: 'platformatic group consuming' });
  const protocols = ['kcat-group', 'kafkajs-group', 'platformatic-group'].map((g) => {
    const d = broker.context.groups.describe(g);
    return [d.groupState, d.protocolData, d.members.length];
  });
  assert.deepEqual(protocols, [
    ['Stable', 'range', 1],
    ['Stable', 'RoundRobinAssigner', 1],
    ['Stable', 'roundrobin', 1],
  ]);
  await j.consumer.disconnect();
  await p.close();
  await k.kill('SIGTERM');
});

test('members with different assignors in one group: the second is refused with INCONSISTENT_GROUP_PROTOCOL', async (t) => {
  const cleanup = cleanupStack(t);
  const broker = await startTestBroker(t);
  await broker.context.topics.create('shared', 2, {});
  const j = await kafkajsMember(cleanup, broker.bootstrap, 'mixed', 'shared');
  await waitFor(() => broker.context.groups.describe('mixed').groupState === 'Stable', {
    what: 'the kafkajs member',
  });
  const consumer = platformaticConsumer(cleanup, broker.bootstrap, 'mixed');
  const refused = await consumer.consume({ topics: ['shared'] }).then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(refused instanceof AggregateError, `consume() should fail: ${String(refused)}`);
  assert.ok(
    refused.errors.some((e: { apiId?: string }) => e.apiId === 'INCONSISTENT_GROUP_PROTOCOL'),
    String(refused),
  );
  // The group itself is untouched: still the kafkajs member alone, with its protocol.
  const described = broker.context.groups.describe('mixed');
  assert.deepEqual(
    [described.groupState, described.protocolData, described.members.length],
    ['Stable', 'RoundRobinAssigner', 1],
  );
  await j.consumer.disconnect();
});

test('fan-out: three independent groups (kafkajs, platformatic, kcat) each receive every record of one topic', async (t) => {
  const cleanup = cleanupStack(t);
  const broker = await startTestBroker(t);
  await broker.context.topics.create('telemetry', 3, {});
  const produced = await produceTo(broker, 'telemetry', 3, 10, 'event');
  const dashboard = await kafkajsMember(cleanup, broker.bootstrap, 'dashboard', 'telemetry');
  const analytics = await platformaticMember(cleanup, broker.bootstrap, 'analytics', 'telemetry');
  const alerting = kcatMember(t, broker.bootstrap, 'alerting', 'telemetry');
  const more = await produceTo(broker, 'telemetry', 3, 5, 'later');
  const all = [...produced, ...more].sort();
  await waitFor(() => dashboard.values.length >= all.length, { what: 'the dashboard group' });
  await waitFor(() => analytics.values.length >= all.length, { what: 'the analytics group' });
  await waitFor(() => alerting.lines.length >= all.length, { what: 'the alerting group' });
  // Each group got every record, exactly once (one member each, no rebalance to repeat anything).
  assert.deepEqual([...dashboard.values].sort(), all);
  assert.deepEqual([...analytics.values].sort(), all);
  assert.deepEqual(kcatValues(alerting.lines).sort(), all);
  assert.deepEqual(
    broker.context.groups
      .list()
      .map((g) => g.groupId)
      .sort(),
    ['alerting', 'analytics', 'dashboard'],
  );
  await dashboard.consumer.disconnect();
  await analytics.close();
  await alerting.kill('SIGTERM');
});
