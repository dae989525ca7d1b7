// The SDK's Kafka-transaction exactly-once pipeline (consume() with kafkaTransactionSink) on whichever
// target the environment names: every input record's output appears exactly once to read_committed readers
// (a failed attempt's output is discarded with its savepoint), the group's committed offset is the
// transactions', and a restarted pipeline with the same transactional id resumes after the last commit.
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { Registry } from 'prom-client';
import { kafkaTransactionSink } from '../../src/sdk/consumer/kafka-transaction-sink.ts';
import { consume } from '../../src/sdk/consumer/runner.ts';
import type { ConsumerHandle } from '../../src/sdk/consumer/types.ts';
import { startTarget, uniqueTopic, type Target } from '../helpers/target.ts';
import { waitFor } from '../helpers/wait-for.ts';

let target: Target;
before(async () => {
  target = await startTarget();
});
after(() => target?.stop());

/** What the pipelines logged: a timed-out wait shows it. */
const logged: string[] = [];
const logger = {
  info() {},
  warn: (fields: object, message: string) => logged.push(`warn ${message} ${JSON.stringify(fields)}`),
  error: (fields: object, message: string) => logged.push(`error ${message} ${JSON.stringify(fields)}`),
};

function kafka(): Kafka {
  return new Kafka({
    clientId: 'sdk-txn',
    brokers: target.bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 12 },
  });
}

async function publish(topic: string, values: string[]): Promise<void> {
  const producer = kafka().producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: values.map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }
}

/** Every value of `topic` a consumer at this isolation reads once `until` holds. */
async function readAll(
  t: TestContext,
  topic: string,
  committedOnly: boolean,
  until: (v: string[]) => boolean,
) {
  const consumer = kafka().consumer({
    groupId: uniqueTopic('reader'),
    readUncommitted: !committedOnly,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  t.after(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await consumer.run({
    eachMessage: ({ message }) => {
      values.push(message.value!.toString());
      return Promise.resolve();
    },
  });
  await waitFor(() => until(values), { what: `records of ${topic}` }).catch((err: Error) => {
    throw new Error(`${err.message}; got [${values.join(' ')}]; the pipelines logged:\n${logged.join('\n')}`);
  });
  await consumer.stop();
  return values;
}

function pipeline(t: TestContext, input: string, output: string, group: string, transactionalId: string) {
  const attempts = new Map<string, number>();
  const sink = kafkaTransactionSink({ bus: { bootstrap: target.bootstrap.split(',') }, transactionalId });
  t.after(() => sink.close());
  const started = consume({
    bus: { bootstrap: target.bootstrap.split(',') },
    topic: input,
    group,
    semantics: 'effectively-once',
    sink,
    fromBeginning: true,
    retry: { attempts: 3, initialDelayMs: 10, maxDelayMs: 20 },
    metrics: new Registry(),
    lagIntervalMs: 0,
    logger,
    handler: (record, { tx, attempt }) => {
      const value = record.value!.toString();
      attempts.set(value, attempt);
      tx.send({ topic: output, key: null, value: Buffer.from(value.toUpperCase()), headers: {} });
      // Its output is already buffered: the failed attempt must take it back.
      if (value === 'flaky' && attempt === 1) throw new Error('first attempt fails');
    },
  });
  return { started, attempts };
}

test('SDK consume-transform-produce in Kafka transactions: each output once, offsets with it, resumes after restart', async (t) => {
  const input = uniqueTopic('sdk-txn-in');
  const output = uniqueTopic('sdk-txn-out');
  await target.createTopic(input, 1);
  await target.createTopic(output, 1);
  const group = uniqueTopic('sdk-txn-group');
  const transactionalId = uniqueTopic('sdk-txn-id');
  const first = ['a', 'b', 'flaky', 'c', 'd'];
  await publish(input, first);

  const one = pipeline(t, input, output, group, transactionalId);
  const handle: ConsumerHandle = await one.started;
  handle.done.catch((err: Error) => logged.push(`pipeline stopped: ${err.message}`));
  const expected = first.map((v) => v.toUpperCase());
  assert.deepEqual(await readAll(t, output, true, (v) => v.length >= 5), expected);
  assert.equal(one.attempts.get('flaky'), 2);
  await handle.stop();

  // A new instance with the same transactional id resumes after the last committed transaction.
  await publish(input, ['e', 'f']);
  const two = pipeline(t, input, output, group, transactionalId);
  const again = await two.started;
  again.done.catch((err: Error) => logged.push(`pipeline stopped: ${err.message}`));
  t.after(() => again.stop());
  const all = [...expected, 'E', 'F'];
  assert.deepEqual(await readAll(t, output, true, (v) => v.length >= 7), all);
  assert.deepEqual([...two.attempts.keys()], ['e', 'f'], 'nothing handled twice');
  // Nothing else was ever written, not even by the failed attempt: read_uncommitted sees the same.
  assert.deepEqual(await readAll(t, output, false, (v) => v.length >= 7), all);
  await again.stop();
  const admin = kafka().admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [input] });
  assert.equal(offsets.partitions[0].offset, '7');
});
