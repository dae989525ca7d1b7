// One contract for every transactional sink (run by sqlite-sink.test.ts and postgres-sink.test.ts against
// the real databases): a transaction commits writes and offsets together, or neither.
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { consume } from '../../../src/sdk/consumer/runner.ts';
import type { TransactionalSink } from '../../../src/sdk/consumer/types.ts';
import { FakeBusConsumer, FakeProducer, records } from './fakes.ts';

export interface SinkUnderTest<Tx> {
  sink: TransactionalSink<Tx>;
  /** Inserts `value` into the test's data table through the transaction context. */
  insert(tx: Tx, value: string): Promise<void>;
  rows(): Promise<string[]>;
}

const P0 = { topic: 't', partition: 0 };

export async function commitsWritesAndOffsetsTogether<Tx>(s: SinkUnderTest<Tx>): Promise<void> {
  await s.sink.init();
  await s.sink.init(); // idempotent
  const big = 2n ** 60n;
  await s.sink.transaction(async (tx) => {
    await s.insert(tx.context, 'a');
    await tx.storeOffsets('g', [{ ...P0, offset: 7n }]);
    await tx.storeOffsets('g', [{ topic: 't', partition: 1, offset: big }]);
  });
  await s.sink.transaction(async (tx) => {
    await s.insert(tx.context, 'b');
    await tx.storeOffsets('g', [{ ...P0, offset: 9n }]);
  });
  assert.deepEqual(await s.rows(), ['a', 'b']);
  const stored = await s.sink.readOffsets('g', [
    P0,
    { topic: 't', partition: 1 },
    { topic: 't', partition: 2 },
  ]);
  assert.deepEqual(
    stored.sort((x, y) => x.partition - y.partition),
    [
      { ...P0, offset: 9n },
      { topic: 't', partition: 1, offset: big },
    ],
  );
  assert.deepEqual(await s.sink.readOffsets('other-group', [P0]), []);
}

export async function rollsBackWritesAndOffsetsTogether<Tx>(s: SinkUnderTest<Tx>): Promise<void> {
  await s.sink.init();
  await assert.rejects(
    s.sink.transaction(async (tx) => {
      await s.insert(tx.context, 'lost');
      await tx.storeOffsets('g', [{ ...P0, offset: 3n }]);
      throw new Error('handler crashed');
    }),
    /handler crashed/,
  );
  assert.deepEqual(await s.rows(), []);
  assert.deepEqual(await s.sink.readOffsets('g', [P0]), []);
  // A savepoint undoes one record's writes and keeps the ones before it.
  await s.sink.transaction(async (tx) => {
    await s.insert(tx.context, 'kept');
    await tx.savepoint('sp');
    await s.insert(tx.context, 'undone');
    await tx.rollbackTo('sp');
    await tx.release('sp');
    await tx.storeOffsets('g', [{ ...P0, offset: 1n }]);
  });
  assert.deepEqual(await s.rows(), ['kept']);
}

/** consume() over a fake bus into the real sink; a second consumer resumes where the sink says. */
export async function resumesFromTheSink<Tx>(s: SinkUnderTest<Tx>): Promise<void> {
  const run = async (): Promise<{ bus: FakeBusConsumer; stop: () => Promise<void> }> => {
    const bus = new FakeBusConsumer([]);
    const handle = await consume<Tx>({
      bus: { bootstrap: ['h:1'] },
      topic: 't',
      group: 'g',
      semantics: 'effectively-once',
      sink: s.sink,
      deadLetterTopic: 't.dlq',
      retry: { attempts: 2, initialDelayMs: 0, maxDelayMs: 0 },
      metrics: new Registry(),
      lagIntervalMs: 0,
      createConsumer: () => bus,
      createProducer: () => new FakeProducer([]),
      handler: async (r, ctx) => {
        const value = r.value!.toString();
        await s.insert(ctx.tx, value);
        if (value === 'v3') throw new Error('poison'); // its insert is rolled back each time
      },
    });
    return { bus, stop: () => handle.stop() };
  };
  const first = await run();
  assert.deepEqual(await first.bus.assign([P0]), []);
  await first.bus.deliver(records(0, 0, 5));
  await first.stop();
  assert.deepEqual(await s.rows(), ['v0', 'v1', 'v2', 'v4']);
  const second = await run();
  assert.deepEqual(await second.bus.assign([P0]), [{ ...P0, offset: 5n }]);
  await second.bus.deliver(records(0, 3, 7)); // re-fetched from before the sink's offset
  await second.stop();
  assert.deepEqual(await s.rows(), ['v0', 'v1', 'v2', 'v4', 'v5', 'v6']);
}
