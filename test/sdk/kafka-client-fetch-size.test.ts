// The bus consumer's fetch size (maxFetchBytes): a consumer starting behind a long backlog fetches, and so
// decodes, a bounded slice of it at a time instead of the whole backlog at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBusAdmin, createBusConsumer, createBusProducer } from '../../src/sdk/kafka-client.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { waitFor } from '../helpers/wait-for.ts';

const RECORDS = 2000;
const VALUE = Buffer.alloc(300, 'x');

/** Records the broker has put in Fetch responses so far. */
async function recordsOut(broker: TestBroker): Promise<number> {
  const metric = await broker.context.metrics.recordsOut.get();
  return metric.values[0]?.value ?? 0;
}

/**
 * How many records the consumer's first Fetch response carried. onBatch is first called while the client
 * decodes that response, before it asks for more (one fetch in flight per broker): the broker's count of
 * records sent at that moment is the first response's.
 */
async function firstFetch(broker: TestBroker, group: string, maxFetchBytes?: number): Promise<number> {
  const before = await recordsOut(broker);
  let first: Promise<number> | undefined;
  let delivered = 0;
  const consumer = createBusConsumer(
    { bootstrap: [broker.bootstrap] },
    {
      group,
      topics: ['backlog'],
      fromBeginning: true,
      ...(maxFetchBytes === undefined ? {} : { maxFetchBytes }),
    },
  );
  const run = consumer.run({
    onBatch: (records) => {
      first ??= recordsOut(broker);
      delivered += records.length;
      return Promise.resolve();
    },
  });
  try {
    await waitFor(() => delivered === RECORDS, { what: `${group}: the whole backlog delivered` });
  } finally {
    await consumer.close();
    await run;
  }
  return (await first!) - before;
}

test('a consumer behind a backlog fetches at most maxFetchBytes (default 256 KiB) per response', async (t) => {
  const broker = await startTestBroker(t);
  const bus = { bootstrap: [broker.bootstrap] };
  const admin = createBusAdmin(bus);
  await admin.createTopics([{ name: 'backlog', partitions: 1 }]);
  await admin.close();
  const producer = createBusProducer(bus, { acks: -1, idempotent: false });
  // 2000 records of ~320 bytes (~640 KB) in batches of 20 (~6.5 KB each).
  for (let i = 0; i < RECORDS; i += 20) {
    await producer.send(
      Array.from({ length: 20 }, (_, j) => ({
        topic: 'backlog',
        key: Buffer.from(`k${i + j}`),
        value: VALUE,
        headers: {},
      })),
    );
  }
  await producer.close();

  const small = await firstFetch(broker, 'small', 16_384);
  // Whole batches: those within 16 KiB, and the first always (a batch is never cut).
  assert.ok(small >= 20 && small <= 60, `first fetch with maxFetchBytes 16 KiB carried ${small} records`);
  const byDefault = await firstFetch(broker, 'default');
  // 256 KiB is ~40 batches of 20; the whole backlog is 100 batches.
  assert.ok(
    byDefault >= 600 && byDefault <= 820,
    `first fetch with the default carried ${byDefault} records`,
  );

  assert.throws(
    () => createBusConsumer(bus, { group: 'g', topics: ['backlog'], maxFetchBytes: 0 }),
    /maxFetchBytes must be a positive number/,
  );
});
