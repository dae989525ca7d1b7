// The data path with kafkajs 2.2.4 on whichever target the environment names (test/helpers/target.ts):
// the producer with acks -1, 1 and 0 and gzip, and the admin calls built on ListOffsets and DeleteRecords.
// What kafkajs wrote is read back with Sluice's own codec.
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import { CompressionTypes, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startTarget, uniqueTopic, type Target } from '../helpers/target.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { readPartition } from './read-back.ts';

let target: Target;
before(async () => {
  target = await startTarget();
});
after(() => target?.stop());

async function kafkajs(t: TestContext): Promise<{ admin: Admin; producer: Producer }> {
  const kafka = new Kafka({
    clientId: 'sluice-integration',
    brokers: target.bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 5 },
  });
  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.after(() => producer.disconnect());
  return { admin, producer };
}

test('kafkajs producer with acks -1, 1 and 0; admin.fetchTopicOffsets sees every record', async (t) => {
  const topic = uniqueTopic('acks');
  await target.createTopic(topic, 1);
  const { admin, producer } = await kafkajs(t);
  const sent = async (acks: number, tag: string) =>
    producer.send({
      topic,
      acks,
      messages: [0, 1, 2].map((i) => ({ key: `${tag}-k${i}`, value: `${tag}-${i}` })),
    });
  assert.deepEqual(
    (await sent(-1, 'all')).map((r) => [r.errorCode, r.baseOffset]),
    [[0, '0']],
  );
  assert.deepEqual(
    (await sent(1, 'one')).map((r) => [r.errorCode, r.baseOffset]),
    [[0, '3']],
  );
  // acks=0 has no answer to wait for: wait for the records to show up instead.
  await sent(0, 'none');
  const latest = async () => (await admin.fetchTopicOffsets(topic))[0];
  await waitFor(async () => (await latest()).high === '9', { what: 'the acks=0 records' });
  assert.deepEqual(await latest(), { partition: 0, offset: '9', high: '9', low: '0' });

  const stored = await readPartition(target.bootstrap, topic);
  assert.deepEqual(
    stored.map((r) => [r.offset, r.key, r.value]),
    ['all', 'one', 'none'].flatMap((tag, batch) =>
      [0, 1, 2].map((i) => [BigInt(batch * 3 + i), `${tag}-k${i}`, `${tag}-${i}`]),
    ),
  );
});

test('kafkajs gzip batches come back intact', async (t) => {
  const topic = uniqueTopic('zipped');
  await target.createTopic(topic, 1);
  const { producer } = await kafkajs(t);
  const messages = Array.from({ length: 50 }, (_, i) => ({ value: `gzip record ${i} ${'y'.repeat(40)}` }));
  await producer.send({ topic, compression: CompressionTypes.GZIP, messages });
  assert.deepEqual(
    (await readPartition(target.bootstrap, topic)).map((r) => r.value),
    messages.map((m) => m.value),
  );
});

test('kafkajs admin: fetchTopicOffsetsByTimestamp and deleteTopicRecords', async (t) => {
  const topic = uniqueTopic('timed');
  await target.createTopic(topic, 1);
  const { admin, producer } = await kafkajs(t);
  const base = Date.now() - 60_000;
  await producer.send({
    topic,
    messages: [0, 1, 2, 3].map((i) => ({ value: `t${i}`, timestamp: String(base + i * 1000) })),
  });
  assert.deepEqual(await admin.fetchTopicOffsetsByTimestamp(topic, base + 1500), [
    { partition: 0, offset: '2' },
  ]);
  assert.deepEqual(await admin.fetchTopicOffsetsByTimestamp(topic, base - 1), [
    { partition: 0, offset: '0' },
  ]);
  // Past every record the broker answers -1, and kafkajs turns that into the latest offset.
  assert.deepEqual(await admin.fetchTopicOffsetsByTimestamp(topic, base + 10_000), [
    { partition: 0, offset: '4' },
  ]);

  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '3' }] });
  assert.deepEqual((await admin.fetchTopicOffsets(topic))[0], {
    partition: 0,
    offset: '4',
    high: '4',
    low: '3',
  });
  assert.deepEqual(
    (await readPartition(target.bootstrap, topic, 0, 3n)).map((r) => r.value),
    ['t3'],
  );
  // '-1' deletes everything there is.
  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '-1' }] });
  assert.equal((await admin.fetchTopicOffsets(topic))[0].low, '4');
});
