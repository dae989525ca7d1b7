// kcat (librdkafka 2.0.2) with enable.idempotence=true (InitProducerId v4, Produce v7, up to 5 requests in
// flight) against connection drops after the append and before the response: librdkafka reconnects and
// resends what was in flight with the same sequences, the broker answers the retries with the original
// offsets, and the log holds every line exactly once, in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestBroker } from '../../helpers/broker.ts';
import { runKcat } from '../../helpers/kcat.ts';
import { dropAfterProduces, storedRecords } from './idempotence-faults.ts';

test('kcat -X enable.idempotence=true: connection dropped after the append, retried, each line once', async (t) => {
  const plan = dropAfterProduces([1, 3]);
  const broker = await startTestBroker(t, { faults: plan.faults });
  await broker.context.topics.create('events', 1, {});
  const lines = Array.from({ length: 200 }, (_, i) => `line-${i}`);
  await runKcat(
    [
      '-b',
      broker.bootstrap,
      '-P',
      // kcat exits when all brokers are down, which one dropped connection to a single node is: -E
      // keeps it running so librdkafka reconnects and retries, as it would with a cluster.
      '-E',
      '-t',
      'events',
      '-p',
      '0',
      '-X',
      'enable.idempotence=true',
      // Small batches, so there are many requests and several in flight when one is dropped.
      '-X',
      'batch.num.messages=10',
      '-X',
      'linger.ms=0',
    ],
    { input: lines.join('\n') + '\n' },
  );
  assert.equal(plan.dropped.length, 2);
  assert.deepEqual(plan.reanswered, plan.dropped);

  const stored = await storedRecords(broker.port, 'events');
  assert.deepEqual(
    stored.map((r) => r.value),
    lines,
  );
  assert.ok(stored.every((r) => r.producerId >= 0n && r.producerId === stored[0].producerId));
});
