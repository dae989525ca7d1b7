// Transactions with @platformatic/kafka 2.12 on whichever target the environment names: consume-transform-
// produce with beginTransaction, addConsumer and addOffset (a group member's offsets in the transaction),
// one transaction committed and one aborted; a read_committed consumer sees only the committed output, and
// the group's committed offset moves only with the commit.
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import {
  Admin,
  Consumer,
  FetchIsolationLevels,
  MessagesStreamModes,
  Producer,
  stringDeserializers,
  stringSerializers,
  type Message,
} from '@platformatic/kafka';
import { startTarget, uniqueTopic, type Target } from '../helpers/target.ts';
import { waitFor } from '../helpers/wait-for.ts';

let target: Target;
before(async () => {
  target = await startTarget();
});
after(() => target?.stop());

const common = () => ({
  clientId: 'sluice-txn-platformatic',
  bootstrapBrokers: target.bootstrap.split(','),
  retries: 10,
});

/** The first `count` messages of `topic` a consumer at this isolation reads (no group commits). */
async function readValues(
  t: TestContext,
  topic: string,
  committedOnly: boolean,
  count: number,
): Promise<string[]> {
  const isolationLevel = committedOnly
    ? FetchIsolationLevels.READ_COMMITTED
    : FetchIsolationLevels.READ_UNCOMMITTED;
  const consumer = new Consumer({
    ...common(),
    groupId: uniqueTopic('reader'),
    deserializers: stringDeserializers,
    autocommit: false,
    isolationLevel,
    maxWaitTime: 200,
  });
  t.after(() => consumer.close(true));
  const stream = await consumer.consume({
    topics: [topic],
    mode: MessagesStreamModes.EARLIEST,
    autocommit: false,
    isolationLevel,
    maxWaitTime: 200,
  });
  const values: string[] = [];
  for await (const message of stream) {
    values.push(message.value);
    if (values.length === count) break;
  }
  return values;
}

test('platformatic consume-transform-produce: commit and abort, offsets with the commit only', async (t) => {
  const input = uniqueTopic('ptxn-in');
  const output = uniqueTopic('ptxn-out');
  await target.createTopic(input, 1);
  await target.createTopic(output, 1);
  const groupId = uniqueTopic('ptxn-group');

  const plain = new Producer({ ...common(), serializers: stringSerializers });
  t.after(() => plain.close());
  await plain.send({
    messages: ['m0', 'm1', 'm2', 'm3'].map((value) => ({ topic: input, partition: 0, value })),
  });

  const consumer = new Consumer({
    ...common(),
    groupId,
    deserializers: stringDeserializers,
    autocommit: false,
  });
  t.after(() => consumer.close(true));
  const stream = await consumer.consume({
    topics: [input],
    mode: MessagesStreamModes.EARLIEST,
    autocommit: false,
  });
  const producer = new Producer({
    ...common(),
    transactionalId: uniqueTopic('ptxn-id'),
    idempotent: true,
    serializers: stringSerializers,
  });
  t.after(() => producer.close());

  const received: Message<string, string, string, string>[] = [];
  for await (const message of stream) {
    received.push(message);
    if (received.length === 4) break;
  }
  // Transaction 1 transforms m0 and m1 and commits; transaction 2 transforms m2 and m3 and aborts.
  for (const [batch, end] of [
    [received.slice(0, 2), 'commit'],
    [received.slice(2, 4), 'abort'],
  ] as const) {
    const txn = await producer.beginTransaction();
    await txn.addConsumer(consumer);
    await txn.send({
      messages: batch.map((m) => ({ topic: output, partition: 0, value: m.value.toUpperCase() })),
    });
    await txn.addOffset(batch[batch.length - 1]);
    await (end === 'commit' ? txn.commit() : txn.abort());
  }

  const admin = new Admin(common());
  t.after(() => admin.close());
  const committed = async () => {
    const [group] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
    return group?.topics.find((topic) => topic.name === input)?.partitions[0]?.committedOffset;
  };
  await waitFor(async () => (await committed()) === 2n, { what: "the committed transaction's offset (2)" });

  assert.deepEqual(await readValues(t, output, false, 4), ['M0', 'M1', 'M2', 'M3']);
  const third = await producer.beginTransaction();
  await third.send({ messages: [{ topic: output, partition: 0, value: 'LAST' }] });
  await third.commit();
  assert.deepEqual(await readValues(t, output, true, 3), ['M0', 'M1', 'LAST']);
  assert.equal(await committed(), 2n, 'the aborted transaction moved no offset');
});
