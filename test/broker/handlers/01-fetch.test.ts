// Fetch through a raw socket, without waiting: versions 4 to 13 (by topic id), whole batches, byte limits
// (KIP-74), offsets out of range, leader epochs, a corrupt partition, and the fields clients depend on.
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ZERO_UUID } from '../../../src/broker/topics/topic-manager.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { FetchApi } from '../../../src/protocol/messages/index.ts';
import { batchBaseOffsets, batchOf, fetch, fetchRequest, produce, recordsOf, setup } from './data-path.ts';

for (const version of [4, 7, 11, 12]) {
  test(`Fetch v${version} by topic name returns the produced records and partition state`, async (t) => {
    const { client } = await setup(t);
    await produce(client, 7, 'events', 0, batchOf('a', 2));
    await produce(client, 7, 'events', 0, batchOf('b', 1));
    const res = await fetch(client, version, fetchRequest('events', [{ offset: 0n }]));
    if (version >= 7) {
      assert.equal(res.errorCode, ErrorCode.NONE);
      assert.equal(res.sessionId, 0);
    }
    assert.equal(res.responses[0].topic, 'events');
    const p = res.responses[0].partitions[0];
    assert.equal(p.errorCode, ErrorCode.NONE);
    assert.equal(p.highWatermark, 3n);
    assert.equal(p.lastStableOffset, 3n);
    if (version >= 5) assert.equal(p.logStartOffset, 0n);
    assert.deepEqual(p.abortedTransactions, []);
    if (version >= 11) assert.equal(p.preferredReadReplica, -1);
    assert.deepEqual(
      recordsOf(p).map((r) => r.value),
      ['a-0', 'a-1', 'b-0'],
    );
  });
}

test('Fetch v13 addresses topics by id; an unknown id is UNKNOWN_TOPIC_ID', async (t) => {
  const { client, topic } = await setup(t);
  await produce(client, 11, 'events', 0, batchOf('id', 2));
  const res = await fetch(client, 13, fetchRequest(topic, [{ offset: 0n }]));
  assert.equal(res.responses[0].topicId, topic.id);
  assert.deepEqual(
    recordsOf(res.responses[0].partitions[0]).map((r) => r.value),
    ['id-0', 'id-1'],
  );
  const unknown = { ...topic, id: '0b1e2c3d-0000-4000-8000-000000000001' };
  const missing = await fetch(client, 13, fetchRequest(unknown, [{ offset: 0n }]));
  assert.equal(missing.responses[0].topicId, unknown.id);
  assert.equal(missing.responses[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
  const zero = await fetch(client, 13, fetchRequest({ ...topic, id: ZERO_UUID }, [{ offset: 0n }]));
  assert.equal(zero.responses[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
});

test('Fetch of an unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION, answered at once', async (t) => {
  const { client } = await setup(t);
  const long = { maxWaitMs: 600_000, minBytes: 1 };
  const topic = await fetch(client, 12, fetchRequest('nope', [{ offset: 0n }], long));
  assert.equal(topic.responses[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const partition = await fetch(client, 12, fetchRequest('events', [{ partition: 3, offset: 0n }], long));
  assert.equal(partition.responses[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.notEqual(partition.responses[0].partitions[0].records, null);
});

test('Fetch at the high watermark returns empty records, never null (classic and compact)', async (t) => {
  const { client, topic } = await setup(t);
  await produce(client, 7, 'events', 0, batchOf('x'));
  for (const version of [4, 11, 12, 13]) {
    const res = await fetch(
      client,
      version,
      fetchRequest(version >= 13 ? topic : 'events', [{ offset: 1n }]),
    );
    const p = res.responses[0].partitions[0];
    assert.equal(p.errorCode, ErrorCode.NONE, `v${version}`);
    assert.ok(Buffer.isBuffer(p.records) && p.records.length === 0, `v${version}: ${String(p.records)}`);
    assert.equal(p.highWatermark, 1n);
  }
});

test('Fetch is sessionless: a session-creating request gets session id 0; forgotten topics are ignored', async (t) => {
  const { client } = await setup(t);
  await produce(client, 9, 'events', 0, batchOf('s'));
  const request = { ...fetchRequest('events', [{ offset: 0n }]), sessionId: 0, sessionEpoch: 0 };
  request.forgottenTopicsData = [{ topic: 'events', topicId: ZERO_UUID, partitions: [0] }];
  const res = await fetch(client, 12, request);
  assert.equal(res.errorCode, ErrorCode.NONE);
  assert.equal(res.sessionId, 0);
  assert.equal(recordsOf(res.responses[0].partitions[0]).length, 1);
});

test('Fetch from the middle of a batch returns that whole batch', async (t) => {
  const { client } = await setup(t);
  await produce(client, 7, 'events', 0, batchOf('a', 5));
  await produce(client, 7, 'events', 0, batchOf('b', 5));
  const res = await fetch(client, 11, fetchRequest('events', [{ offset: 7n }]));
  const p = res.responses[0].partitions[0];
  assert.deepEqual(batchBaseOffsets(p), [5n]);
  assert.equal(recordsOf(p)[0].offset, 5n);
});

test('Fetch with a tiny maxBytes still returns one whole batch (KIP-74)', async (t) => {
  const { client } = await setup(t);
  await produce(client, 7, 'events', 0, batchOf('big', 10));
  await produce(client, 7, 'events', 0, batchOf('next', 10));
  for (const limits of [
    { partition: 1, response: 50_000_000 },
    { partition: 1_000_000, response: 1 },
  ]) {
    const res = await fetch(
      client,
      11,
      fetchRequest('events', [{ offset: 0n, maxBytes: limits.partition }], { maxBytes: limits.response }),
    );
    const p = res.responses[0].partitions[0];
    assert.deepEqual(batchBaseOffsets(p), [0n], JSON.stringify(limits));
    assert.equal(recordsOf(p).length, 10);
  }
});

test("Fetch shares the response's maxBytes across partitions in request order", async (t) => {
  const { client } = await setup(t, { partitions: 3 });
  const batch = batchOf('p', 4);
  for (const i of [0, 1, 2]) await produce(client, 7, 'events', i, batchOf('p', 4));
  const targets = [2, 0, 1].map((partition) => ({ partition, offset: 0n }));
  // Room for one batch and a half: the first partition gets its batch, the others nothing (no error).
  const res = await fetch(
    client,
    11,
    fetchRequest('events', targets, { maxBytes: Math.floor(batch.length * 1.5) }),
  );
  const parts = res.responses[0].partitions;
  assert.deepEqual(
    parts.map((p) => [p.partitionIndex, p.errorCode, p.records!.length > 0]),
    [
      [2, 0, true],
      [0, 0, false],
      [1, 0, false],
    ],
  );
  assert.ok(parts.every((p) => p.highWatermark === 4n));
  const roomy = await fetch(client, 11, fetchRequest('events', targets, { maxBytes: batch.length * 3 }));
  assert.ok(roomy.responses[0].partitions.every((p) => recordsOf(p).length === 4));
});

test('Fetch out of range: OFFSET_OUT_OF_RANGE at once, even when it could wait', async (t) => {
  const { client } = await setup(t);
  await produce(client, 7, 'events', 0, batchOf('r', 2));
  for (const offset of [3n, 100n, -1n]) {
    const res = await fetch(
      client,
      12,
      fetchRequest('events', [{ offset }], { maxWaitMs: 600_000, minBytes: 1 }),
    );
    const p = res.responses[0].partitions[0];
    assert.equal(p.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, String(offset));
    assert.equal(p.records!.length, 0);
  }
});

test('Fetch v9+ checks the current leader epoch (-1 skips; older fenced; newer unknown)', async (t) => {
  const { client } = await setup(t);
  await produce(client, 7, 'events', 0, batchOf('e'));
  const codeFor = async (currentLeaderEpoch: number): Promise<number> => {
    const res = await fetch(client, 11, fetchRequest('events', [{ offset: 0n, currentLeaderEpoch }]));
    return res.responses[0].partitions[0].errorCode;
  };
  assert.equal(await codeFor(-1), ErrorCode.NONE);
  assert.equal(await codeFor(0), ErrorCode.NONE);
  assert.equal(await codeFor(1), ErrorCode.UNKNOWN_LEADER_EPOCH);
  assert.equal(await codeFor(-5), ErrorCode.FENCED_LEADER_EPOCH);
});

test('Fetch read_committed sees everything below the last stable offset (= HWM without transactions)', async (t) => {
  const { client } = await setup(t);
  await produce(client, 7, 'events', 0, batchOf('c', 3));
  const res = await fetch(client, 11, fetchRequest('events', [{ offset: 0n }], { isolationLevel: 1 }));
  const p = res.responses[0].partitions[0];
  assert.equal(p.lastStableOffset, 3n);
  assert.equal(recordsOf(p).length, 3);
});

test('Fetch from a corrupt partition: KAFKA_STORAGE_ERROR for it alone', async (t) => {
  const { client, broker } = await setup(t, { partitions: 2, overrides: { 'segment.bytes': '1024' } });
  for (let i = 0; i < 4; i++) await produce(client, 7, 'events', 0, batchOf(`c${i}`.padEnd(400, '.'), 1));
  await produce(client, 7, 'events', 1, batchOf('fine'));
  const log = broker.context.topics.partition('events', 0)!.log;
  assert.ok(log.segmentCount > 1, 'the first segment is closed');
  // Flip a byte inside the first record of the first (closed) segment: its CRC no longer matches.
  const file = await open(join(broker.dataDir, 'events-0', '00000000000000000000.log'), 'r+');
  try {
    const byte = Buffer.alloc(1);
    await file.read(byte, 0, 1, 80);
    byte[0] ^= 0xff;
    await file.write(byte, 0, 1, 80);
  } finally {
    await file.close();
  }
  const res = await fetch(
    client,
    11,
    fetchRequest('events', [
      { partition: 0, offset: 0n },
      { partition: 1, offset: 0n },
    ]),
  );
  const [bad, good] = res.responses[0].partitions;
  assert.equal(bad.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  assert.equal(good.errorCode, ErrorCode.NONE);
  assert.deepEqual(
    recordsOf(good).map((r) => r.value),
    ['fine-0'],
  );
});

test('Fetch lists every requested partition in request order, duplicates included', async (t) => {
  const { client } = await setup(t, { partitions: 2 });
  const targets = [1, 0, 7, 1].map((partition) => ({ partition, offset: 0n }));
  const res = await client.request(FetchApi, 10, fetchRequest('events', targets));
  assert.deepEqual(
    res.responses[0].partitions.map((p) => [p.partitionIndex, p.errorCode]),
    [
      [1, 0],
      [0, 0],
      [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [1, 0],
    ],
  );
});

test('records in and out are counted on the metrics a health board reads (sluice_broker_records_*_total)', async (t) => {
  const { broker, client } = await setup(t);
  const counter = async (name: string): Promise<number> => {
    const text = await broker.context.metrics.registry.metrics();
    return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
  };
  await produce(client, 7, 'events', 0, batchOf('a', 2));
  await produce(client, 7, 'events', 0, batchOf('b', 3));
  assert.equal(await counter('sluice_broker_records_in_total'), 5);
  assert.equal(await counter('sluice_broker_records_out_total'), 0);
  await fetch(client, 12, fetchRequest('events', [{ offset: 0n }]));
  assert.equal(await counter('sluice_broker_records_out_total'), 5);
  await fetch(client, 12, fetchRequest('events', [{ offset: 2n }]));
  assert.equal(await counter('sluice_broker_records_out_total'), 8);
});
