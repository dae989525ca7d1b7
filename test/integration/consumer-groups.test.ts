// Consumer groups and the idempotent producer with kafkajs 2.2.4 on whichever target the environment names
// (test/helpers/target.ts): a group reads everything, commits, and a later member of the same group
// resumes after the committed offsets; two members split the partitions between them; the admin sees the
// group and its offsets.
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import kafkajs, { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { startTarget, uniqueTopic, type Target } from '../helpers/target.ts';
import { waitFor } from '../helpers/wait-for.ts';

// A CommonJS module: this export is only reachable through the default import.
const { AssignerProtocol } = kafkajs;

let target: Target;
before(async () => {
  target = await startTarget();
});
after(() => target?.stop());

function client(): Kafka {
  return new Kafka({
    clientId: 'sluice-integration-groups',
    brokers: target.bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 },
  });
}

async function idempotentProducer(t: TestContext, kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  t.after(() => producer.disconnect());
  return producer;
}

/** A consumer of `topic` in `groupId` that records what it is handed as "partition:offset" → value. */
async function consume(
  kafka: Kafka,
  groupId: string,
  topic: string,
  seen: Map<string, string>,
): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      seen.set(`${partition}:${message.offset}`, message.value!.toString());
      return Promise.resolve();
    },
  });
  return consumer;
}

const values = (seen: Map<string, string>) => [...seen.values()].sort();

test('kafkajs group: reads every record, commits, and a later member resumes after the commit', async (t) => {
  const topic = uniqueTopic('grouped');
  const groupId = uniqueTopic('readers');
  await target.createTopic(topic, 3);
  const kafka = client();
  const producer = await idempotentProducer(t, kafka);
  const batch = (tag: string) =>
    Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `${tag}-${i}` }));
  await producer.send({ topic, acks: -1, messages: batch('first') });

  const firstSeen = new Map<string, string>();
  const first = await consume(kafka, groupId, topic, firstSeen);
  try {
    await waitFor(() => firstSeen.size === 30, { what: 'the first 30 records consumed' });
  } finally {
    // Leaving commits what was consumed (kafkajs commits on stop).
    await first.disconnect();
  }
  assert.deepEqual(
    values(firstSeen),
    batch('first')
      .map((m) => m.value)
      .sort(),
  );

  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  const total = committed[0].partitions.reduce((sum, p) => sum + Number(p.offset), 0);
  assert.equal(total, 30, JSON.stringify(committed));
  assert.ok((await admin.listGroups()).groups.some((g) => g.groupId === groupId));

  await producer.send({ topic, acks: -1, messages: batch('second') });
  const secondSeen = new Map<string, string>();
  const second = await consume(kafka, groupId, topic, secondSeen);
  try {
    await waitFor(() => secondSeen.size >= 30, { what: 'the second 30 records consumed' });
  } finally {
    await second.disconnect();
  }
  // Only what came after the commit: nothing of the first batch again.
  assert.deepEqual(
    values(secondSeen),
    batch('second')
      .map((m) => m.value)
      .sort(),
  );
});

test('kafkajs group: two members split the partitions and together read each record once', async (t) => {
  const topic = uniqueTopic('split');
  const groupId = uniqueTopic('pair');
  await target.createTopic(topic, 4);
  const kafka = client();
  const producer = await idempotentProducer(t, kafka);
  for (let p = 0; p < 4; p++) {
    await producer.send({
      topic,
      messages: Array.from({ length: 10 }, (_, i) => ({ partition: p, value: `p${p}-${i}` })),
    });
  }
  const seenA = new Map<string, string>();
  const seenB = new Map<string, string>();
  const a = await consume(kafka, groupId, topic, seenA);
  t.after(() => a.disconnect());
  const b = await consume(kafka, groupId, topic, seenB);
  t.after(() => b.disconnect());
  // Whatever the rebalance timing, every record is read, and each offset always holds the same record.
  await waitFor(() => new Set([...seenA.keys(), ...seenB.keys()]).size === 40, { what: 'all 40 records' });
  for (const [at, value] of seenA) assert.equal(seenB.get(at) ?? value, value);
  // Once the group has settled, each member owns some partitions and no partition is owned twice.
  const described = await waitFor(
    async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const { groups } = await admin.describeGroups([groupId]);
        return groups[0].state === 'Stable' && groups[0].members.length === 2 ? groups[0] : undefined;
      } finally {
        await admin.disconnect();
      }
    },
    { what: 'a stable group of two', everyMs: 200 },
  );
  assert.equal(described.protocolType, 'consumer');
  const owned = described.members.map(
    (m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[topic] ?? [],
  );
  assert.ok(
    owned.every((partitions) => partitions.length > 0),
    `each member owns partitions: ${JSON.stringify(owned)}`,
  );
  assert.deepEqual(
    owned.flat().sort((x, y) => x - y),
    [0, 1, 2, 3],
  );
});
