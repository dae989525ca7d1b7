// Transactions across a broker crash: `sluice broker` as a child process (fsync durability), SIGKILLed while
// two transactions are open (one with staged offsets), restarted on the same data directory. Nothing of
// the open transactions is visible to read_committed consumers, their staged offsets never apply, what was
// committed before the crash is all there, and the transactional id carries on with a new producer.
// Needs `npm run build`.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test, type TestContext } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { startBrokerProcess } from '../../helpers/broker-process.ts';
import { tempDir } from '../../helpers/broker.ts';
import { createTopicOn } from '../../helpers/target.ts';
import { waitFor } from '../../helpers/wait-for.ts';

function kafka(port: number): Kafka {
  return new Kafka({
    clientId: 'txn-crash',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  });
}

async function connected<T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(
  t: TestContext,
  client: T,
): Promise<T> {
  await client.connect();
  t.after(() => client.disconnect().catch(() => undefined));
  return client;
}

/** partition → values a consumer at this isolation reads, once `until` holds for them. */
async function read(
  t: TestContext,
  port: number,
  topic: string,
  readUncommitted: boolean,
  until: (seen: Map<number, string[]>) => boolean,
): Promise<Map<number, string[]>> {
  const consumer = await connected(
    t,
    kafka(port).consumer({
      groupId: `reader-${String(readUncommitted)}`,
      readUncommitted,
      maxWaitTimeInMs: 200,
    }),
  );
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Map<number, string[]>([
    [0, []],
    [1, []],
  ]);
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      seen.get(partition)!.push(message.value!.toString());
      return Promise.resolve();
    },
  });
  await waitFor(() => until(seen), { what: `records of ${topic}: ${JSON.stringify([...seen])}` });
  await consumer.stop();
  return seen;
}

test('SIGKILL with transactions open: after restart read_committed sees only committed records and offsets', async (t) => {
  const dataDir = await tempDir('sluice-txn-crash-');
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const before = await startBrokerProcess(t, { dataDir, durability: 'fsync' });
  const bootstrap = `127.0.0.1:${before.port}`;
  await createTopicOn(bootstrap, 'out', 2);
  await createTopicOn(bootstrap, 'in', 1);
  const producerOf = (port: number, transactionalId: string) =>
    kafka(port).producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  const admin = await connected(t, kafka(before.port).admin());
  await admin.setOffsets({ groupId: 'pipeline', topic: 'in', partitions: [{ partition: 0, offset: '0' }] });

  const a = await connected(t, producerOf(before.port, 'txn-a'));
  const committed = await a.transaction();
  await committed.send({
    topic: 'out',
    messages: [
      { value: 'c0', partition: 0 },
      { value: 'c1', partition: 1 },
    ],
  });
  await committed.sendOffsets({
    consumerGroupId: 'pipeline',
    topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '2' }] }],
  });
  await committed.commit();
  const open = await a.transaction();
  await open.send({
    topic: 'out',
    messages: [
      { value: 'open-a0', partition: 0 },
      { value: 'open-a1', partition: 1 },
    ],
  });
  await open.sendOffsets({
    consumerGroupId: 'pipeline',
    topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '4' }] }],
  });
  const b = await connected(t, producerOf(before.port, 'txn-b'));
  const openB = await b.transaction();
  await openB.send({ topic: 'out', messages: [{ value: 'open-b0', partition: 0 }] });
  const plain = await connected(t, kafka(before.port).producer());
  await plain.send({ topic: 'out', messages: [{ value: 'plain0', partition: 0 }] });

  assert.deepEqual(await before.kill('SIGKILL'), { code: null, signal: 'SIGKILL' });

  const after = await startBrokerProcess(t, { dataDir, durability: 'fsync' });
  const again = await connected(t, producerOf(after.port, 'txn-a'));
  const next = await again.transaction();
  await next.send({
    topic: 'out',
    messages: [
      { value: 'after0', partition: 0 },
      { value: 'after1', partition: 1 },
    ],
  });
  await next.commit();

  const done = (seen: Map<number, string[]>) =>
    seen.get(0)!.includes('after0') && seen.get(1)!.includes('after1');
  const stable = await read(t, after.port, 'out', false, done);
  assert.deepEqual(Object.fromEntries(stable), { 0: ['c0', 'plain0', 'after0'], 1: ['c1', 'after1'] });
  const everything = await read(t, after.port, 'out', true, done);
  assert.deepEqual(Object.fromEntries(everything), {
    0: ['c0', 'open-a0', 'open-b0', 'plain0', 'after0'],
    1: ['c1', 'open-a1', 'after1'],
  });
  const afterAdmin = await connected(t, kafka(after.port).admin());
  const [offsets] = await afterAdmin.fetchOffsets({ groupId: 'pipeline', topics: ['in'] });
  assert.equal(offsets.partitions[0].offset, '2', "the open transaction's staged offset was dropped");
});
