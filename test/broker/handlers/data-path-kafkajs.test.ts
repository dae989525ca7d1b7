// The data path with kafkajs 2.2.4: the producer with acks 0, 1 and -1 and gzip (Produce v7), and the admin
// calls built on ListOffsets and DeleteRecords. What kafkajs wrote is read back with our own codec.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { CompressionTypes, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { readBatchHeader, splitBatches } from '../../../src/protocol/record-batch.ts';
import type { TestBroker } from '../../helpers/broker.ts';
import { startTestBroker } from '../../helpers/broker.ts';
import { connectClient, fetch, fetchRequest, recordsOf, waitFor } from './data-path.ts';

interface Clients {
  broker: TestBroker;
  admin: Admin;
  producer: Producer;
}

async function kafkajs(t: TestContext, topics: string[]): Promise<Clients> {
  const broker = await startTestBroker(t);
  const kafka = new Kafka({
    clientId: 'sluice-test',
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  });
  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 1 })) });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.after(() => producer.disconnect());
  return { broker, admin, producer };
}

test('kafkajs producer with acks -1, 1 and 0; admin.fetchTopicOffsets sees every record', async (t) => {
  const { broker, admin, producer } = await kafkajs(t, ['events']);
  const sent = async (acks: number, tag: string) =>
    producer.send({
      topic: 'events',
      acks,
      messages: [0, 1, 2].map((i) => ({ key: `${tag}-k${i}`, value: `${tag}-${i}` })),
    });
  const all = await sent(-1, 'all');
  assert.deepEqual(
    all.map((r) => [r.errorCode, r.baseOffset]),
    [[0, '0']],
  );
  const leader = await sent(1, 'one');
  assert.deepEqual(
    leader.map((r) => [r.errorCode, r.baseOffset]),
    [[0, '3']],
  );
  // acks=0 has no answer to wait for: wait for the records to show up instead.
  await sent(0, 'none');
  const latest = async () => (await admin.fetchTopicOffsets('events'))[0];
  await waitFor(
    () => broker.context.topics.partition('events', 0)!.log.highWatermark === 9n,
    'acks=0 records',
  );
  assert.deepEqual(await latest(), { partition: 0, offset: '9', high: '9', low: '0' });

  const client = await connectClient(t, broker);
  const res = await fetch(client, 11, fetchRequest('events', [{ offset: 0n }]));
  assert.deepEqual(
    recordsOf(res.responses[0].partitions[0]).map((r) => r.value),
    ['all-0', 'all-1', 'all-2', 'one-0', 'one-1', 'one-2', 'none-0', 'none-1', 'none-2'],
  );
});

test('kafkajs gzip batches are stored compressed, as sent', async (t) => {
  const { broker, producer } = await kafkajs(t, ['zipped']);
  const messages = Array.from({ length: 50 }, (_, i) => ({ value: `gzip record ${i} ${'y'.repeat(40)}` }));
  await producer.send({ topic: 'zipped', compression: CompressionTypes.GZIP, messages });
  const client = await connectClient(t, broker);
  const res = await fetch(client, 11, fetchRequest('zipped', [{ offset: 0n }]));
  const p = res.responses[0].partitions[0];
  const records = p.records!;
  const [batch] = [...splitBatches(records)];
  assert.equal(readBatchHeader(records, batch.offset).compression, 'gzip');
  assert.deepEqual(
    recordsOf(p).map((r) => r.value),
    messages.map((m) => m.value),
  );
});

test('kafkajs admin: fetchTopicOffsetsByTimestamp and deleteTopicRecords', async (t) => {
  const { admin, producer } = await kafkajs(t, ['events']);
  const base = Date.now() - 60_000;
  await producer.send({
    topic: 'events',
    messages: [0, 1, 2, 3].map((i) => ({ value: `t${i}`, timestamp: String(base + i * 1000) })),
  });
  assert.deepEqual(await admin.fetchTopicOffsetsByTimestamp('events', base + 1500), [
    { partition: 0, offset: '2' },
  ]);
  assert.deepEqual(await admin.fetchTopicOffsetsByTimestamp('events', base - 1), [
    { partition: 0, offset: '0' },
  ]);
  // Past every record: Kafka answers -1, and kafkajs turns that into the latest offset.
  assert.deepEqual(await admin.fetchTopicOffsetsByTimestamp('events', base + 10_000), [
    { partition: 0, offset: '4' },
  ]);

  await admin.deleteTopicRecords({ topic: 'events', partitions: [{ partition: 0, offset: '3' }] });
  assert.deepEqual((await admin.fetchTopicOffsets('events'))[0], {
    partition: 0,
    offset: '4',
    high: '4',
    low: '3',
  });
  // '-1' deletes everything there is.
  await admin.deleteTopicRecords({ topic: 'events', partitions: [{ partition: 0, offset: '-1' }] });
  assert.equal((await admin.fetchTopicOffsets('events'))[0].low, '4');
});
