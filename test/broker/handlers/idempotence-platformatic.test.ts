// @platformatic/kafka idempotent producer (InitProducerId v5, Produce v11) against connection drops after
// the append and before the response. Its gotcha: with `idempotent: true`, `retries` of 0 or 1 becomes
// "retry forever", so the test sets retries and keeps its own deadline on every send.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { startTestBroker } from '../../helpers/broker.ts';
import { dropAfterProduces, storedRecords, withDeadline } from './idempotence-faults.ts';

test('platformatic idempotent producer: connection dropped after the append, retried, each record once', async (t) => {
  const plan = dropAfterProduces([1, 3]);
  const broker = await startTestBroker(t, { faults: plan.faults });
  const common = { clientId: 'sluice-idempotence', bootstrapBrokers: [broker.bootstrap] };
  const admin = new Admin({ ...common, retries: 2 });
  t.after(() => admin.close());
  await admin.createTopics({ topics: ['events'], partitions: 1, replicas: 1 });
  const producer = new Producer({
    ...common,
    idempotent: true,
    retries: 5,
    retryDelay: 50,
    serializers: stringSerializers,
  });
  t.after(() => producer.close());

  const offsets: bigint[] = [];
  for (let send = 0; send < 5; send++) {
    const messages = [0, 1, 2].map((i) => ({ topic: 'events', partition: 0, value: `s${send}-m${i}` }));
    const res = await withDeadline(producer.send({ messages }), 60_000, `send ${send}`);
    offsets.push(...(res.offsets ?? []).map((o) => o.offset));
  }
  // The dropped sends were answered, on retry, with the offsets of their first (only) append.
  assert.deepEqual(offsets, [0n, 3n, 6n, 9n, 12n]);
  // Requests 1 and 3 are send 0 and send 1 (request 2 was the retry of send 0).
  assert.deepEqual(plan.dropped, ['events/0@0', 'events/0@3']);
  assert.deepEqual(plan.reanswered, plan.dropped);

  const stored = await storedRecords(broker.port, 'events');
  assert.deepEqual(
    stored.map((r) => r.value),
    [0, 1, 2, 3, 4].flatMap((s) => [0, 1, 2].map((i) => `s${s}-m${i}`)),
  );
  assert.deepEqual(
    stored.map((r) => r.offset),
    Array.from({ length: 15 }, (_, i) => BigInt(i)),
  );
  assert.ok(stored.every((r) => r.producerId >= 0n && r.producerId === stored[0].producerId));
});
