// kafka-client's sendBatch on whichever target the environment names: sealed record batches go out as
// they are, several in flight, in order; a batch sent again with its stamp (a retry) is not stored twice.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createBusProducer, type BusConfig, type SealedBatch } from '../../src/sdk/kafka-client.ts';
import { OpenBatch } from '../../src/sdk/publisher/open-batch.ts';
import { measure, newMeasure } from '../../src/sdk/publisher/record-encoding.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { fetchAll } from '../helpers/records-io.ts';
import { startTarget, uniqueTopic, type Target } from '../helpers/target.ts';

let target: Target;
let bus: BusConfig;
before(async () => {
  target = await startTarget();
  bus = { bootstrap: target.bootstrap.split(','), requestTimeoutMs: 10_000 };
});
after(() => target?.stop());

function sealed(partition: number, from: number, count: number): SealedBatch {
  const batch = new OpenBatch(partition, 1 << 16);
  const m = newMeasure();
  for (let i = from; i < from + count; i++) {
    const r = {
      key: Buffer.from(`k${i % 7}`),
      value: Buffer.from(`v${i}`),
      headers: { n: Buffer.from(String(i)) },
      timestamp: 1_700_000_000_000n + BigInt(i),
    };
    measure(r, m, 0);
    batch.append(r, m);
  }
  return batch.seal();
}

test('sealed batches: five in flight land in order; a retried batch is not duplicated', async (t) => {
  const topic = uniqueTopic('sdk-batches');
  await target.createTopic(topic, 1);
  const producer = createBusProducer(bus, { acks: -1, idempotent: true });
  t.after(() => producer.close());
  assert.equal(await producer.partitions!(topic), 1);
  assert.equal(producer.knownPartitions!(topic), 1);
  const batches = Array.from({ length: 5 }, (_, b) => sealed(0, b * 50, 50));
  await Promise.all(batches.map((b) => producer.sendBatch!(topic, b)));
  // As the publisher retries after a lost acknowledgement: the same batches, same stamps.
  await producer.sendBatch!(topic, batches[3]);
  await producer.sendBatch!(topic, batches[4]);
  await producer.sendBatch!(topic, sealed(0, 250, 10));

  // Read straight from the partition (no group: a fresh Kafka's group coordinator may still be loading).
  const [host, port] = target.bootstrap.split(',')[0].split(':');
  const client = await RawClient.connect(Number(port), host);
  t.after(() => client.close());
  const { highWatermark, records: got } = await fetchAll(client, topic, 0);
  assert.equal(highWatermark, 260n, 'nothing stored twice');
  assert.deepEqual(
    got.map((r) => r.value!.toString()),
    Array.from({ length: 260 }, (_, i) => `v${i}`),
  );
  const r7 = got[7];
  assert.equal(r7.key!.toString(), 'k0');
  assert.equal(r7.timestamp, 1_700_000_000_007n);
  assert.deepEqual(
    r7.headers.map((h) => [h.key, h.value!.toString()]),
    [['n', '7']],
  );
});
