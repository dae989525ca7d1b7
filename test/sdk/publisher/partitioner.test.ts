// Keyless records and the sticky partitioner (KIP-480): they stick to one partition until its batch is
// sealed, then move to another one picked at random among those with a leader; keyed records keep
// Kafka's murmur2 partition.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeRecords } from '../../../src/protocol/record-batch.ts';
import type { BusProducer, SealedBatch } from '../../../src/sdk/kafka-client.ts';
import { keyPartition } from '../../../src/sdk/publisher/murmur2.ts';
import { OpenBatch } from '../../../src/sdk/publisher/open-batch.ts';
import { Partitioner } from '../../../src/sdk/publisher/partitioner.ts';
import { measure, newMeasure, prepareHeaders } from '../../../src/sdk/publisher/record-encoding.ts';
import { splitBatch } from '../../../src/sdk/publisher/split-batch.ts';
import { batchOf, rec, rig, until } from './helpers.ts';

/** A bus producer that takes sealed batches, for a topic of `partitions` of which `available` have a leader. */
function batchBus(partitions: number, available: number[]) {
  const sent: { partition: number; keys: (string | null)[] }[] = [];
  const transport = (): BusProducer => ({
    send: () => Promise.reject(new Error('records are sent as batches here')),
    sendBatch: (_topic: string, batch: SealedBatch) => {
      const keys = decodeRecords(batch.bytes).map((r) => (r.key === null ? null : r.key.toString()));
      sent.push({ partition: batch.partition, keys });
      return Promise.resolve();
    },
    partitions: () => Promise.resolve(partitions),
    knownPartitions: () => partitions,
    availablePartitions: () => available,
    close: () => Promise.resolve(),
  });
  return { sent, transport };
}

test('keyless records spread over the partitions, each batch whole in one partition', async () => {
  const bus = batchBus(4, [0, 1, 2, 3]);
  const r = await rig({
    lingerMs: 60_000,
    maxBatchBytes: batchOf(5),
    buffer: { kind: 'memory', maxBytes: 100 * batchOf(5), whenFull: 'block' },
    transport: bus.transport,
  });
  for (let i = 0; i < 200; i++) void r.publisher.publish(rec(i));
  await r.publisher.flush(5_000);
  await until(() => bus.sent.reduce((n, b) => n + b.keys.length, 0) === 200, 'every record sent');
  assert.equal(bus.sent.length, 40, 'full batches of 5: the records were not scattered');
  for (const b of bus.sent) assert.deepEqual(b.keys, [null, null, null, null, null]);
  const used = new Set(bus.sent.map((b) => b.partition));
  assert.ok(used.size > 1, `keyless records spread, partitions used: ${[...used].join(',')}`);
  for (let i = 1; i < bus.sent.length; i++) {
    assert.notEqual(bus.sent[i].partition, bus.sent[i - 1].partition, 'a sealed batch moves the next one on');
  }
  await r.publisher.close(1000);
});

test('only partitions with a leader are picked; keyed records keep their murmur2 partition', async () => {
  const bus = batchBus(6, [1, 4]);
  const r = await rig({
    lingerMs: 60_000,
    maxBatchBytes: batchOf(3),
    buffer: { kind: 'memory', maxBytes: 100 * batchOf(3), whenFull: 'block' },
    transport: bus.transport,
  });
  for (let i = 0; i < 30; i++) void r.publisher.publish(rec(i));
  for (let i = 0; i < 30; i++) void r.publisher.publish(rec(i, `k${i}`));
  await r.publisher.flush(5_000);
  await until(() => bus.sent.reduce((n, b) => n + b.keys.length, 0) === 60, 'every record sent');
  const keyless = bus.sent.filter((b) => b.keys[0] === null);
  assert.deepEqual(new Set(keyless.map((b) => b.partition)), new Set([1, 4]));
  for (const b of bus.sent.filter((b) => b.keys[0] !== null)) {
    for (const k of b.keys) assert.equal(keyPartition(Buffer.from(k!), 6), b.partition, `key ${k}`);
  }
  await r.publisher.close(1000);
});

test('a batch sealed before the partition count was known: its keyless records stay together', () => {
  const batch = new OpenBatch(-1, 1 << 16);
  const m = newMeasure();
  for (let i = 0; i < 40; i++) {
    const r = {
      key: i % 2 === 0 ? null : Buffer.from(`k${i}`),
      value: Buffer.from(`v${i}`),
      headers: {},
      timestamp: 0n,
    };
    measure(r, m, 0);
    batch.append(r, m);
  }
  const parts = splitBatch(batch.seal(), 5, 'none');
  const keyless = parts
    .map((p) => decodeRecords(p.bytes).filter((r) => r.key === null).length)
    .filter((n) => n > 0);
  assert.deepEqual(keyless, [20], 'every keyless record in one partition');
  for (const p of parts) {
    for (const r of decodeRecords(p.bytes))
      if (r.key !== null) assert.equal(keyPartition(r.key, 5), p.partition);
  }
});

test('Partitioner: a string key (prepared record) lands where the same key as bytes does, for any count', () => {
  const p = new Partitioner();
  const headers = prepareHeaders({}, 'seq');
  const none = (): undefined => undefined;
  for (const count of [3, 7, 3]) {
    for (const key of ['order-1', 'ü-key', 'k'.repeat(200)]) {
      const prepared = { key, value: 'v', headers, lastHeaderValue: 1, timestamp: 0 };
      const bytes = { key: Buffer.from(key), value: Buffer.from('v'), headers: {} };
      assert.equal(p.partitionOf(prepared, count, none), keyPartition(Buffer.from(key), count), key);
      assert.equal(p.partitionOf(bytes, count, none), keyPartition(Buffer.from(key), count), key);
    }
  }
  const keyless = { key: null, value: Buffer.from('v'), headers: {} };
  assert.equal(p.partitionOf(keyless, 1, none), 0, 'one partition: no choice');
});

test('Partitioner: keyless records stay put until that partition is sealed, then move among the available', () => {
  const p = new Partitioner();
  const keyless = { key: null, value: Buffer.from('v'), headers: {} };
  const available = (): number[] => [1, 3];
  const first = p.partitionOf(keyless, 4, available);
  assert.ok([1, 3].includes(first));
  for (let i = 0; i < 10; i++) assert.equal(p.partitionOf(keyless, 4, available), first);
  p.sealed(first === 1 ? 3 : 1);
  assert.equal(p.partitionOf(keyless, 4, available), first, 'another partition sealed: no move');
  p.sealed(first);
  assert.equal(p.partitionOf(keyless, 4, available), first === 1 ? 3 : 1, 'its batch sealed: the other one');
});
