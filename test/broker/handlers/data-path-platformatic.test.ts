// The data path with @platformatic/kafka 2.x (flexible versions: Produce v11, ListOffsets v7): the producer
// with each acks setting and each compression codec, and admin.listOffsets by every kind of timestamp.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Admin, Producer, ProduceAcks, stringSerializers } from '@platformatic/kafka';
import { readBatchHeader, splitBatches } from '../../../src/protocol/record-batch.ts';
import { startTestBroker, type TestBroker } from '../../helpers/broker.ts';
import { connectClient, fetch, fetchRequest, recordsOf, waitFor } from './data-path.ts';

interface Clients {
  broker: TestBroker;
  admin: Admin;
  producer: Producer<string, string, string, string>;
}

async function platformatic(t: TestContext, topics: string[]): Promise<Clients> {
  const broker = await startTestBroker(t);
  const common = { clientId: 'sluice-test', bootstrapBrokers: [broker.bootstrap], retries: 2 };
  const admin = new Admin(common);
  t.after(() => admin.close());
  await admin.createTopics({ topics, partitions: 1, replicas: 1 });
  const producer = new Producer({ ...common, serializers: stringSerializers });
  t.after(() => producer.close());
  return { broker, admin, producer };
}

test('platformatic producer with acks -1, 1 and 0', async (t) => {
  const { broker, producer } = await platformatic(t, ['events']);
  const send = (acks: number, tag: string) =>
    producer.send({
      acks,
      messages: [0, 1].map((i) => ({
        topic: 'events',
        key: `${tag}${i}`,
        value: `${tag}-${i}`,
        headers: { tag },
      })),
    });
  const all = await send(ProduceAcks.ALL, 'all');
  assert.deepEqual(all.offsets, [{ topic: 'events', partition: 0, offset: 0n }]);
  const leader = await send(ProduceAcks.LEADER, 'one');
  assert.deepEqual(leader.offsets, [{ topic: 'events', partition: 0, offset: 2n }]);
  await send(ProduceAcks.NO_RESPONSE, 'none');
  await waitFor(
    () => broker.context.topics.partition('events', 0)!.log.highWatermark === 6n,
    'acks=0 records',
  );
  // The connection survived acks=0: platformatic drops it on a response it did not expect.
  const after = await send(ProduceAcks.ALL, 'after');
  assert.deepEqual(after.offsets, [{ topic: 'events', partition: 0, offset: 6n }]);

  const client = await connectClient(t, broker);
  const res = await fetch(client, 13, fetchRequest(broker.context.topics.get('events')!, [{ offset: 0n }]));
  assert.deepEqual(
    recordsOf(res.responses[0].partitions[0]).map((r) => r.value),
    ['all-0', 'all-1', 'one-0', 'one-1', 'none-0', 'none-1', 'after-0', 'after-1'],
  );
});

test('platformatic producer with each compression codec: stored as sent, read back intact', async (t) => {
  const codecs = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
  const { broker, producer } = await platformatic(t, ['zipped']);
  for (const compression of codecs) {
    const messages = Array.from({ length: 10 }, (_, i) => ({
      topic: 'zipped',
      value: `${compression} ${i} ${'q'.repeat(50)}`,
    }));
    await producer.send({ compression, messages });
  }
  const client = await connectClient(t, broker);
  const res = await fetch(client, 12, fetchRequest('zipped', [{ offset: 0n }]));
  const p = res.responses[0].partitions[0];
  const records = p.records!;
  assert.deepEqual(
    [...splitBatches(records)].map((b) => readBatchHeader(records, b.offset).compression),
    [...codecs],
  );
  const values = recordsOf(p).map((r) => r.value);
  assert.equal(values.length, 40);
  assert.equal(values[35], `zstd 5 ${'q'.repeat(50)}`);
});

test('platformatic admin.listOffsets: earliest, latest, by timestamp, max timestamp', async (t) => {
  const { admin, producer } = await platformatic(t, ['events']);
  const base = BigInt(Date.now() - 60_000);
  await producer.send({
    messages: [0n, 5n, 2n].map((d, i) => ({ topic: 'events', value: `m${i}`, timestamp: base + d * 1000n })),
  });
  const list = async (timestamp: bigint) => {
    const [topic] = await admin.listOffsets({
      topics: [{ name: 'events', partitions: [{ partitionIndex: 0, timestamp }] }],
    });
    const [p] = topic.partitions;
    return [p.offset, p.timestamp];
  };
  assert.deepEqual(await list(-2n), [0n, -1n]);
  assert.deepEqual(await list(-1n), [3n, -1n]);
  assert.deepEqual(await list(base + 1000n), [1n, base + 5000n]);
  assert.deepEqual(await list(-3n), [1n, base + 5000n]);
  assert.deepEqual(await list(base + 9000n), [-1n, -1n]);
});
