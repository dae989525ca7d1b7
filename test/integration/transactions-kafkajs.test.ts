// Kafka transactions with kafkajs 2.2.4 on whichever target the environment names (test/helpers/target.ts):
// consume-transform-produce with producer.transaction() and sendOffsets, committed and aborted; what
// read_committed and read_uncommitted consumers see; committed offsets that move only on commit; the last
// stable offset while a transaction is open; and a zombie producer fenced by a newer one.
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startTarget, uniqueTopic, type Target } from '../helpers/target.ts';
import { waitFor } from '../helpers/wait-for.ts';

let target: Target;
before(async () => {
  target = await startTarget();
});
after(() => target?.stop());

function kafka(): Kafka {
  return new Kafka({
    clientId: 'sluice-txn',
    brokers: target.bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    // Apache Kafka creates __consumer_offsets and __transaction_state on first use: coordinators take a while.
    retry: { retries: 12 },
  });
}

async function connected<T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(
  t: TestContext,
  client: T,
): Promise<T> {
  await client.connect();
  t.after(() => client.disconnect());
  return client;
}

async function transactional(t: TestContext, transactionalId: string): Promise<Producer> {
  return connected(
    t,
    kafka().producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    }),
  );
}

/** Every value of `topic` (one partition) a consumer at the given isolation reads, once `expected` arrived. */
async function readValues(
  t: TestContext,
  topic: string,
  readUncommitted: boolean,
  expected: number,
): Promise<string[]> {
  const consumer = await connected(
    t,
    kafka().consumer({ groupId: uniqueTopic('reader'), readUncommitted, maxWaitTimeInMs: 200 }),
  );
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await consumer.run({
    eachMessage: ({ message }) => {
      values.push(message.value!.toString());
      return Promise.resolve();
    },
  });
  await waitFor(() => values.length >= expected, { what: `${expected} records of ${topic}` });
  await consumer.stop();
  return values;
}

async function committedOffset(admin: Admin, groupId: string, topic: string): Promise<string> {
  const [found] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return found.partitions[0].offset;
}

/** Apache Kafka applies a committed transaction's offsets just after EndTxn answers: wait for them. */
async function offsetBecomes(admin: Admin, groupId: string, topic: string, offset: string): Promise<void> {
  await waitFor(async () => (await committedOffset(admin, groupId, topic)) === offset, {
    what: `${groupId}'s committed offset on ${topic} to be ${offset}`,
  });
}

test('kafkajs consume-transform-produce: committed and aborted transactions, offsets only on commit', async (t) => {
  const input = uniqueTopic('txn-in');
  const output = uniqueTopic('txn-out');
  await target.createTopic(input, 1);
  await target.createTopic(output, 1);
  const groupId = uniqueTopic('txn-group');
  const admin = await connected(t, kafka().admin());
  const producer = await transactional(t, uniqueTopic('txn-id'));
  // In a real pipeline the consumer's group exists before its first transaction; Apache Kafka 4.1 answers
  // NOT_COORDINATOR to a transactional commit for a group it has never seen, so make it exist.
  await admin.setOffsets({ groupId, topic: input, partitions: [{ partition: 0, offset: '0' }] });

  const transform = async (values: string[], offset: string, end: 'commit' | 'abort') => {
    const txn = await producer.transaction();
    await txn.send({ topic: output, messages: values.map((value) => ({ value })) });
    await txn.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset }] }],
    });
    await (end === 'commit' ? txn.commit() : txn.abort());
  };
  await transform(['a1', 'a2', 'a3'], '3', 'commit');
  await offsetBecomes(admin, groupId, input, '3');
  await transform(['b1', 'b2'], '5', 'abort');
  // Read once the next commit's offset shows: the abort's offset was never applied in between.
  const seen: string[] = [];
  await transform(['c1'], '6', 'commit');
  await waitFor(
    async () => {
      seen.push(await committedOffset(admin, groupId, input));
      return seen.at(-1) === '6';
    },
    { what: "the third transaction's offset" },
  );
  assert.ok(!seen.includes('5'), `an aborted transaction moved the offset: ${seen.join(', ')}`);

  assert.deepEqual(await readValues(t, output, false, 4), ['a1', 'a2', 'a3', 'c1']);
  assert.deepEqual(await readValues(t, output, true, 6), ['a1', 'a2', 'a3', 'b1', 'b2', 'c1']);
});

test('kafkajs: an open transaction holds back read_committed readers until it commits', async (t) => {
  const topic = uniqueTopic('txn-lso');
  await target.createTopic(topic, 1);
  const admin = await connected(t, kafka().admin());
  const plain = await connected(t, kafka().producer({ allowAutoTopicCreation: false }));
  const producer = await transactional(t, uniqueTopic('txn-id'));
  await plain.send({ topic, messages: [{ value: 'before' }] });

  const txn = await producer.transaction();
  await txn.send({ topic, messages: [{ value: 'inside' }] });
  await plain.send({ topic, messages: [{ value: 'during' }] });
  // admin.fetchTopicOffsets asks read_committed: its high is the last stable offset, held at the open
  // transaction's first record while the high watermark (offset) has moved on.
  const [open] = await admin.fetchTopicOffsets(topic);
  assert.equal(open.high, '1');
  await txn.commit();
  await waitFor(async () => (await admin.fetchTopicOffsets(topic))[0].high === '4', {
    what: 'the last stable offset to pass the commit marker',
  });
  assert.deepEqual(await readValues(t, topic, false, 3), ['before', 'inside', 'during']);
});

test('kafkajs: a second producer with the same transactional id fences the first', async (t) => {
  const topic = uniqueTopic('txn-zombie');
  await target.createTopic(topic, 1);
  const transactionalId = uniqueTopic('txn-id');
  const zombie = await transactional(t, transactionalId);
  const zombieTxn = await zombie.transaction();
  await zombieTxn.send({ topic, messages: [{ value: 'zombie-open' }] });

  // The new producer's InitProducerId aborts the zombie's open transaction and bumps the epoch.
  const successor = await transactional(t, transactionalId);
  const txn = await successor.transaction();
  await txn.send({ topic, messages: [{ value: 'successor' }] });
  await txn.commit();

  await assert.rejects(
    zombieTxn.send({ topic, messages: [{ value: 'zombie-late' }] }).then(() => zombieTxn.commit()),
    (err: Error) => /epoch|fenced/i.test(`${err.name} ${err.message}`),
  );
  assert.deepEqual(await readValues(t, topic, false, 1), ['successor']);
});
