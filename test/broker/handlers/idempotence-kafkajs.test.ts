// kafkajs 2.2.4 idempotent producer (InitProducerId v1, Produce v7) against connection drops after the
// append and before the response: kafkajs retries with the same sequences, the broker answers the retry
// with the original offsets, and the log holds every record exactly once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker } from '../../helpers/broker.ts';
import { dropAfterProduces, storedRecords, withDeadline } from './idempotence-faults.ts';

test('kafkajs idempotent producer: connection dropped after the append, retried, each record once', async (t) => {
  const plan = dropAfterProduces([1, 3]);
  const broker = await startTestBroker(t, { faults: plan.faults });
  const kafka = new Kafka({
    clientId: 'sluice-idempotence',
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 50 },
  });
  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 2 }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  t.after(() => producer.disconnect());

  const results: string[][] = [];
  for (let send = 0; send < 5; send++) {
    // Each send covers both partitions, so one request carries two windows.
    const messages = [0, 1, 2, 3].map((i) => ({ partition: i % 2, value: `s${send}-m${i}` }));
    const res = await withDeadline(producer.send({ topic: 'events', messages }), 60_000, `send ${send}`);
    results.push(res.map((r) => `${r.partition}@${r.baseOffset}`).sort());
  }
  // The dropped sends were answered, on retry, with the offsets of their first (only) append.
  assert.deepEqual(
    results,
    [0, 2, 4, 6, 8].map((o) => [`0@${o}`, `1@${o}`]),
  );
  // Requests 1 and 3 are sends 0 and 1 (request 2 was the retry of send 0), two partitions each.
  assert.deepEqual([...plan.dropped].sort(), ['events/0@0', 'events/0@2', 'events/1@0', 'events/1@2']);
  assert.deepEqual([...plan.reanswered].sort(), [...plan.dropped].sort());

  for (const partition of [0, 1]) {
    const stored = await storedRecords(broker.port, 'events', partition);
    assert.deepEqual(
      stored.map((r) => r.value),
      [0, 1, 2, 3, 4].flatMap((s) => [`s${s}-m${partition}`, `s${s}-m${partition + 2}`]),
    );
    assert.deepEqual(
      stored.map((r) => r.offset),
      Array.from({ length: 10 }, (_, i) => BigInt(i)),
    );
    assert.ok(stored.every((r) => r.producerId >= 0n && r.producerId === stored[0].producerId));
  }
});
