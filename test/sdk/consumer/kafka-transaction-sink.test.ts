// The Kafka-transaction sink against the embedded broker: a transaction's output and offsets commit together
// (savepoints take back a failed attempt's output), a failed work commits nothing, one group per
// transaction, a second sink with the same transactional id fences the first, bad options are refused.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import {
  kafkaTransactionSink,
  type KafkaTransactionSink,
} from '../../../src/sdk/consumer/kafka-transaction-sink.ts';
import { SinkError } from '../../../src/sdk/consumer/types.ts';
import { BusError, type OutgoingRecord } from '../../../src/sdk/kafka-client.ts';
import { startTestBroker } from '../../helpers/broker.ts';
import { createTopicOn } from '../../helpers/target.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const record = (value: string): OutgoingRecord => ({
  topic: 'out',
  key: null,
  value: Buffer.from(value),
  headers: {},
});

async function setup(
  t: TestContext,
): Promise<{ bootstrap: string; sink: (id: string) => KafkaTransactionSink }> {
  const broker = await startTestBroker(t);
  await createTopicOn(broker.bootstrap, 'out', 1);
  await createTopicOn(broker.bootstrap, 'in', 1);
  const sink = (transactionalId: string) => {
    const s = kafkaTransactionSink({ bus: { bootstrap: [broker.bootstrap] }, transactionalId });
    t.after(() => s.close());
    return s;
  };
  return { bootstrap: broker.bootstrap, sink };
}

async function committedValues(t: TestContext, bootstrap: string, count: number): Promise<string[]> {
  const consumer = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).consumer({
    groupId: `reader-${count}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  t.after(() => consumer.disconnect());
  await consumer.subscribe({ topic: 'out', fromBeginning: true });
  const values: string[] = [];
  await consumer.run({
    eachMessage: ({ message }) => {
      values.push(message.value!.toString());
      return Promise.resolve();
    },
  });
  await waitFor(() => values.length >= count, { what: `${count} committed records: ${values.join(' ')}` });
  await consumer.stop();
  return values;
}

test('a transaction commits its output and offsets together; a savepoint takes back a failed attempt', async (t) => {
  const { bootstrap, sink } = await setup(t);
  const s = sink('sink-a');
  await s.init();
  const n = await s.transaction(async (tx) => {
    tx.context.send(record('one'));
    await tx.savepoint('attempt');
    tx.context.send([record('discarded-1'), record('discarded-2')]);
    await tx.rollbackTo('attempt');
    await tx.release('attempt');
    tx.context.send(record('two'));
    await tx.storeOffsets('pipeline', [{ topic: 'in', partition: 0, offset: 2n }]);
    return 2;
  });
  assert.equal(n, 2);
  assert.deepEqual(await s.readOffsets('pipeline', [{ topic: 'in', partition: 0 }]), [
    { topic: 'in', partition: 0, offset: 2n },
  ]);
  // Work that throws commits nothing: neither its output nor its offsets.
  await assert.rejects(
    s.transaction(async (tx) => {
      tx.context.send(record('never'));
      await tx.storeOffsets('pipeline', [{ topic: 'in', partition: 0, offset: 9n }]);
      throw new Error('handler failed');
    }),
    /handler failed/,
  );
  await s.transaction(async (tx) => {
    tx.context.send(record('three'));
    await tx.storeOffsets('pipeline', [{ topic: 'in', partition: 0, offset: 3n }]);
  });
  assert.deepEqual(await committedValues(t, bootstrap, 3), ['one', 'two', 'three']);
  assert.deepEqual(await s.readOffsets('pipeline', [{ topic: 'in', partition: 0 }]), [
    { topic: 'in', partition: 0, offset: 3n },
  ]);
});

test('one group per transaction; a second sink with the same transactional id fences the first', async (t) => {
  const { sink } = await setup(t);
  const first = sink('shared-id');
  await first.transaction((tx) => Promise.resolve(tx.context.send(record('first'))));
  await assert.rejects(
    first.transaction(async (tx) => {
      await tx.storeOffsets('g1', [{ topic: 'in', partition: 0, offset: 1n }]);
      await tx.storeOffsets('g2', [{ topic: 'in', partition: 0, offset: 1n }]);
    }),
    (err: Error) => err instanceof SinkError && /g1 and g2/.test(err.message),
  );
  const second = sink('shared-id');
  await second.transaction((tx) => Promise.resolve(tx.context.send(record('second'))));
  await assert.rejects(
    first.transaction((tx) => Promise.resolve(tx.context.send(record('zombie')))),
    (err: Error) => err instanceof BusError && !err.retriable,
  );
});

test('kafkaTransactionSink refuses a missing or blank transactional id, naming it', () => {
  for (const transactionalId of ['', '  ', undefined]) {
    assert.throws(
      () =>
        kafkaTransactionSink({
          bus: { bootstrap: ['127.0.0.1:9092'] },
          transactionalId: transactionalId as string,
        }),
      (err: Error) => err instanceof SinkError && /transactionalId/.test(err.message),
    );
  }
});
