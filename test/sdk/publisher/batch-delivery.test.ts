// Sending one sealed batch: a hung send answers false at its deadline and the producer is replaced (the
// batch marked as failed once, so its buffer is never reused); a batch sealed before the partition count
// was known is split, and a retry after a failure sends only the parts not yet acknowledged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { decodeRecords } from '../../../src/protocol/record-batch.ts';
import type { BusProducer, SealedBatch } from '../../../src/sdk/kafka-client.ts';
import { BatchDelivery } from '../../../src/sdk/publisher/batch-delivery.ts';
import { OpenBatch } from '../../../src/sdk/publisher/open-batch.ts';
import type { PublisherOptions } from '../../../src/sdk/publisher/options.ts';
import { measure, newMeasure } from '../../../src/sdk/publisher/record-encoding.ts';
import { ManualClock } from './fakes.ts';
import { testOptions, until } from './helpers.ts';

function sealed(partition: number, keys: string[]): SealedBatch {
  const batch = new OpenBatch(partition, 4096);
  const m = newMeasure();
  for (const key of keys) {
    const r = { key: Buffer.from(key), value: Buffer.from(`v-${key}`), headers: {} };
    measure(r, m, 1_700_000_000_000);
    batch.append(r, m);
  }
  return batch.seal();
}

function options(transport: () => BusProducer): PublisherOptions {
  return testOptions({
    maxBatchBytes: 4096,
    sendTimeoutMs: 500,
    buffer: { kind: 'memory', maxBytes: 1 << 20, whenFull: 'block' },
    transport,
  });
}

test('a hung send answers false at its deadline; the producer is replaced and the batch marked failed', async () => {
  const clock = new ManualClock();
  let made = 0;
  let closed = 0;
  let hang = true;
  const transport = (): BusProducer => {
    made++;
    return {
      send: () => Promise.reject(new Error('batches only')),
      sendBatch: () => (hang ? new Promise<void>(() => {}) : Promise.resolve()),
      close: () => {
        closed++;
        return Promise.resolve();
      },
    };
  };
  const delivery = new BatchDelivery(options(transport), clock, pino({ level: 'silent' }));
  const batch = sealed(0, ['a']);
  let answer: boolean | undefined;
  void delivery.send(batch).then((ok) => (answer = ok));
  await until(() => made === 1, 'the producer made');
  clock.advance(499);
  await Promise.resolve();
  assert.equal(answer, undefined, 'still waiting before the deadline');
  clock.advance(1);
  await until(() => answer !== undefined, 'the deadline');
  assert.equal(answer, false);
  assert.equal(closed, 1, 'the hung producer was closed');
  assert.equal(delivery.failedOnce(batch), true);
  hang = false;
  assert.equal(await delivery.send(batch), true);
  assert.equal(made, 2, 'a new producer for the next attempt');
  await delivery.close();
  assert.equal(closed, 2);
});

test('a batch sealed before the partition count was known is split; a retry sends only what is left', async () => {
  const sent: { partition: number; keys: string[] }[] = [];
  let failNext = false;
  const transport = (): BusProducer => ({
    send: () => Promise.reject(new Error('batches only')),
    partitions: () => Promise.resolve(3),
    sendBatch: (_topic, batch) => {
      if (failNext) {
        failNext = false;
        return Promise.reject(new Error('bus down'));
      }
      sent.push({
        partition: batch.partition,
        keys: decodeRecords(batch.bytes).map((r) => r.key!.toString()),
      });
      if (sent.length === 1) failNext = true; // the second part fails once
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  });
  const delivery = new BatchDelivery(options(transport), new ManualClock(), pino({ level: 'silent' }));
  const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`);
  const batch = sealed(-1, keys);
  assert.equal(await delivery.send(batch), false, 'the second part failed');
  assert.equal(sent.length, 1);
  assert.equal(await delivery.send(batch), true);
  const partitions = sent.map((s) => s.partition);
  assert.equal(new Set(partitions).size, sent.length, 'each part once: the first was not sent again');
  assert.deepEqual(sent.flatMap((s) => s.keys).sort(), [...keys].sort());
  await delivery.close();
});
