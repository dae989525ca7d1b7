// Idempotent Produce through a raw socket: retries answered with their original offset and appended once,
// gaps (45) and stale epochs (47) refused, a retry of a batch whose append is still in flight answered
// only once that append is durable (or failed), and deduplication across a clean restart (snapshot) and a
// restart without a snapshot (log tail).
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startBroker } from '../../../src/broker/broker.ts';
import { FaultFs } from '../../../src/broker/log/fault-fs.ts';
import { PRODUCER_SNAPSHOT_FILE } from '../../../src/broker/producers/producer-snapshot.ts';
import { partitionKey } from '../../../src/broker/producers/producer-state-manager.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { InitProducerIdApi, ProduceApi } from '../../../src/protocol/messages/index.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { startTestBroker, tempDir } from '../../helpers/broker.ts';
import {
  batchOf,
  connectClient,
  fetch,
  fetchRequest,
  produce,
  recordsOf,
  setup,
  waitFor,
} from './data-path.ts';

async function initProducerId(client: RawClient): Promise<bigint> {
  const res = await client.request(InitProducerIdApi, 4, {
    transactionalId: null,
    transactionTimeoutMs: 60_000,
    producerId: -1n,
    producerEpoch: -1,
  });
  assert.equal(res.errorCode, ErrorCode.NONE);
  return res.producerId;
}

/** A batch of `count` records from producer `producerId` starting at `baseSequence`. */
function idem(
  tag: string,
  count: number,
  producerId: bigint,
  baseSequence: number,
  producerEpoch = 0,
): Buffer {
  return batchOf(tag, count, { producerId, producerEpoch, baseSequence });
}

async function values(broker: { port: number }, topic = 'events'): Promise<string[]> {
  const client = await RawClient.connect(broker.port);
  try {
    const res = await fetch(client, 11, fetchRequest(topic, [{ offset: 0n }]));
    return recordsOf(res.responses[0].partitions[0]).map((r) => r.value);
  } finally {
    client.close();
  }
}

test('a retried batch is answered with its original offset and appended once', async (t) => {
  const { broker, client } = await setup(t);
  const pid = await initProducerId(client);
  assert.equal((await produce(client, 7, 'events', 0, idem('a', 3, pid, 0))).baseOffset, 0n);
  assert.equal((await produce(client, 7, 'events', 0, idem('b', 2, pid, 3))).baseOffset, 3n);
  for (const [retry, offset] of [
    [idem('a', 3, pid, 0), 0n],
    [idem('b', 2, pid, 3), 3n],
  ] as const) {
    const res = await produce(client, 9, 'events', 0, retry);
    assert.equal(res.errorCode, ErrorCode.NONE);
    assert.equal(res.baseOffset, offset);
    assert.equal(res.logStartOffset, 0n);
  }
  assert.equal((await produce(client, 7, 'events', 0, idem('c', 1, pid, 5))).baseOffset, 5n);
  assert.equal(broker.context.topics.partition('events', 0)!.log.highWatermark, 6n);
  assert.deepEqual(await values(broker), ['a-0', 'a-1', 'a-2', 'b-0', 'b-1', 'c-0']);
});

test('a retry on a LogAppendTime topic gets the original append time', async (t) => {
  const { client } = await setup(t, { overrides: { 'message.timestamp.type': 'LogAppendTime' } });
  const pid = await initProducerId(client);
  const first = await produce(client, 11, 'events', 0, idem('a', 2, pid, 0));
  assert.ok(first.logAppendTimeMs > 0n);
  const retry = await produce(client, 11, 'events', 0, idem('a', 2, pid, 0));
  assert.deepEqual([retry.baseOffset, retry.logAppendTimeMs], [0n, first.logAppendTimeMs]);
});

test('a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER (45), a stale epoch INVALID_PRODUCER_EPOCH (47)', async (t) => {
  const { broker, client } = await setup(t);
  const pid = await initProducerId(client);
  assert.equal((await produce(client, 7, 'events', 0, idem('a', 2, pid, 0, 1))).errorCode, ErrorCode.NONE);
  const gap = await produce(client, 7, 'events', 0, idem('gap', 1, pid, 5, 1));
  assert.deepEqual([gap.errorCode, gap.baseOffset], [ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, -1n]);
  const stale = await produce(client, 11, 'events', 0, idem('stale', 1, pid, 2, 0));
  assert.equal(stale.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  // A new epoch starting at sequence 0 (librdkafka bumps its own epoch this way) is accepted.
  const bumped = await produce(client, 7, 'events', 0, idem('bumped', 1, pid, 0, 2));
  assert.deepEqual([bumped.errorCode, bumped.baseOffset], [ErrorCode.NONE, 2n]);
  assert.deepEqual(await values(broker), ['a-0', 'a-1', 'bumped-0']);
});

test('the first batch of an unknown producer id is accepted at any sequence (no UNKNOWN_PRODUCER_ID)', async (t) => {
  const { client } = await setup(t);
  const res = await produce(client, 7, 'events', 0, idem('x', 1, 424242n, 1234));
  assert.deepEqual([res.errorCode, res.baseOffset], [ErrorCode.NONE, 0n]);
});

test('a retry arriving while the original append waits for its fsync is answered after it, same offset', async (t) => {
  const fs = new FaultFs();
  const { broker, client } = await setup(t, { broker: { fs, durability: 'fsync' } });
  const pid = await initProducerId(client);
  const log = broker.context.topics.partition('events', 0)!.log;
  const topic = broker.context.topics.get('events')!;
  const release = fs.hold('sync', /\.log$/);
  const body = (records: Buffer) => ({
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: 'events', partitionData: [{ index: 0, records }] }],
  });
  const original = client.send(ProduceApi, 9, body(idem('a', 3, pid, 0)));
  await waitFor(() => log.logEndOffset === 3n, 'the original append to be written');
  // The client gave up on that connection and retries on another one.
  const other = await connectClient(t, broker);
  const retry = other.send(ProduceApi, 9, body(idem('a', 3, pid, 0)));
  const window = () => broker.context.producers.state.window(partitionKey(topic.id, 0), pid);
  await waitFor(() => window()?.batches[0]?.waiters.length === 1, 'the retry to wait on the original');
  assert.equal(log.highWatermark, 0n, 'nothing is acknowledged before the fsync');
  release();
  const first = await client.receive(ProduceApi, 9, original);
  const second = await other.receive(ProduceApi, 9, retry);
  for (const res of [first, second]) {
    const p = res.responses[0].partitionResponses[0];
    assert.deepEqual([p.errorCode, p.baseOffset], [ErrorCode.NONE, 0n]);
  }
  assert.equal(log.highWatermark, 3n);
  assert.equal(log.logEndOffset, 3n);
});

test('a retry waiting on an append that fails gets the same storage error; the window forgets the batch', async (t) => {
  const fs = new FaultFs();
  const { broker, client } = await setup(t, { broker: { fs, durability: 'fsync' } });
  const pid = await initProducerId(client);
  const topic = broker.context.topics.get('events')!;
  const log = topic.partitions[0].log;
  assert.equal((await produce(client, 9, 'events', 0, idem('ok', 1, pid, 0))).errorCode, ErrorCode.NONE);
  const release = fs.hold('sync', /\.log$/);
  const body = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: 'events', partitionData: [{ index: 0, records: idem('lost', 2, pid, 1) }] }],
  };
  const original = client.send(ProduceApi, 9, body);
  await waitFor(() => log.logEndOffset === 3n, 'the doomed append to be written');
  const other = await connectClient(t, broker);
  const retry = other.send(ProduceApi, 9, {
    ...body,
    topicData: [{ name: 'events', partitionData: [{ index: 0, records: idem('lost', 2, pid, 1) }] }],
  });
  const window = () => broker.context.producers.state.window(partitionKey(topic.id, 0), pid)!;
  await waitFor(() => window().batches[1]?.waiters.length === 1, 'the retry to wait on the original');
  fs.inject({ op: 'sync', path: /\.log$/ });
  release();
  for (const [c, id] of [
    [client, original],
    [other, retry],
  ] as const) {
    const res = await c.receive(ProduceApi, 9, id);
    assert.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  }
  assert.deepEqual(
    window().batches.map((b) => b.firstSeq),
    [0],
  );
  assert.equal(window().hasAppendsInFlight, false);
});

test('after a clean restart a retry is still a duplicate, even of a batch in an older segment (snapshot)', async (t) => {
  const dataDir = await tempDir();
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const options = { port: 0, dataDir, logLevel: 'silent' as const, durability: 'none', segmentBytes: 1024 };
  const first = await startBroker(options);
  let pid: bigint;
  try {
    await first.context.topics.create('events', 1, {});
    const client = await RawClient.connect(first.port);
    t.after(() => client.close());
    pid = await initProducerId(client);
    const big = (tag: string) => 'x'.repeat(500) + tag;
    assert.equal((await produce(client, 7, 'events', 0, idem(big('a'), 1, pid, 0))).baseOffset, 0n);
    // A plain producer's batch rolls the log to a new segment: producer `pid` is only in the old one.
    assert.equal((await produce(client, 7, 'events', 0, batchOf(big('plain'), 1))).baseOffset, 1n);
    assert.equal(first.context.topics.partition('events', 0)!.log.segmentCount, 2);
  } finally {
    await first.close();
  }
  const broker = await startTestBroker(t, options);
  const client = await connectClient(t, broker);
  const retry = await produce(client, 7, 'events', 0, idem('x'.repeat(500) + 'a', 1, pid, 0));
  assert.deepEqual([retry.errorCode, retry.baseOffset], [ErrorCode.NONE, 0n]);
  assert.equal(broker.context.topics.partition('events', 0)!.log.logEndOffset, 2n);
  const next = await produce(client, 7, 'events', 0, idem('next', 1, pid, 1));
  assert.deepEqual([next.errorCode, next.baseOffset], [ErrorCode.NONE, 2n]);
  // New producer ids continue past every id handed out before the restart.
  assert.ok((await initProducerId(client)) > pid);
});

test('without a snapshot (as after a crash) the active segment tail rebuilds the windows', async (t) => {
  const dataDir = await tempDir();
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const options = { port: 0, dataDir, logLevel: 'silent' as const, durability: 'none' };
  const first = await startBroker(options);
  let pid: bigint;
  try {
    await first.context.topics.create('events', 2, {});
    const client = await RawClient.connect(first.port);
    t.after(() => client.close());
    pid = await initProducerId(client);
    for (let i = 0; i < 7; i++) {
      assert.equal(
        (await produce(client, 7, 'events', i % 2, idem(`b${i}`, 2, pid, 2 * (i >> 1)))).errorCode,
        0,
      );
    }
  } finally {
    await first.close();
  }
  await rm(join(dataDir, PRODUCER_SNAPSHOT_FILE));
  const broker = await startTestBroker(t, options);
  const client = await connectClient(t, broker);
  // Partition 0 got b0 b2 b4 b6 (sequences 0,2,4,6), partition 1 b1 b3 b5 (0,2,4).
  const retry0 = await produce(client, 7, 'events', 0, idem('b6', 2, pid, 6));
  assert.deepEqual([retry0.errorCode, retry0.baseOffset], [ErrorCode.NONE, 6n]);
  const retry1 = await produce(client, 7, 'events', 1, idem('b1', 2, pid, 0));
  assert.deepEqual([retry1.errorCode, retry1.baseOffset], [ErrorCode.NONE, 0n]);
  const gap = await produce(client, 7, 'events', 1, idem('gap', 1, pid, 9));
  assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal((await produce(client, 7, 'events', 1, idem('b7', 1, pid, 6))).baseOffset, 6n);
  assert.deepEqual(await values(broker), ['b0-0', 'b0-1', 'b2-0', 'b2-1', 'b4-0', 'b4-1', 'b6-0', 'b6-1']);
});

test('producerIdExpirationMs is validated with the setting named', async () => {
  await assert.rejects(startBroker({ port: 0, producerIdExpirationMs: 0 }), /producerIdExpirationMs/);
});
