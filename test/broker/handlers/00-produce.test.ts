// Produce through a raw socket: round trips at the first, a middle and the last version, acks=0 without a
// response, and every per-partition validation error in Kafka's order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { ApiVersionsApi, ProduceApi } from '../../../src/protocol/messages/index.ts';
import { decodeResponseHeader } from '../../../src/protocol/headers.ts';
import { Reader } from '../../../src/protocol/reader.ts';
import {
  ATTRIBUTES_OFFSET,
  CRC_OFFSET,
  MAGIC_OFFSET,
  buildControlBatch,
  decodeRecords,
  setBaseOffset,
} from '../../../src/protocol/record-batch.ts';
import { crc32c } from '../../../src/protocol/crc32c.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { batchOf, fetch, fetchRequest, produce, recordsOf, setup } from './data-path.ts';

for (const version of [3, 9, 11]) {
  test(`Produce v${version}: appended batches come back from Fetch with their offsets`, async (t) => {
    const { client } = await setup(t);
    const first = await produce(client, version, 'events', 0, batchOf('a', 3));
    assert.equal(first.errorCode, ErrorCode.NONE);
    assert.equal(first.baseOffset, 0n);
    assert.equal(first.logAppendTimeMs, -1n);
    if (version >= 5) assert.equal(first.logStartOffset, 0n);
    const second = await produce(client, version, 'events', 0, batchOf('b', 2));
    assert.equal(second.baseOffset, 3n);

    const res = await fetch(client, 11, fetchRequest('events', [{ offset: 0n }]));
    const p = res.responses[0].partitions[0];
    assert.equal(p.errorCode, ErrorCode.NONE);
    assert.equal(p.highWatermark, 5n);
    assert.deepEqual(
      recordsOf(p).map((r) => `${r.offset}:${r.value}`),
      ['0:a-0', '1:a-1', '2:a-2', '3:b-0', '4:b-1'],
    );
  });
}

test('Produce acks=0: no response; the next request on the connection gets the next frame', async (t) => {
  const { client, broker } = await setup(t);
  client.send(ProduceApi, 7, {
    transactionalId: null,
    acks: 0,
    timeoutMs: 1000,
    topicData: [{ name: 'events', partitionData: [{ index: 0, records: batchOf('quiet', 2) }] }],
  });
  const id = client.send(ApiVersionsApi, 2, { clientSoftwareName: '', clientSoftwareVersion: '' });
  const frame = await client.nextFrame();
  assert.ok(frame);
  assert.equal(decodeResponseHeader(new Reader(frame), ApiVersionsApi.apiKey, 2).correlationId, id);
  assert.equal(broker.context.topics.partition('events', 0)!.log.highWatermark, 2n);
});

test('Produce acks=0 that fails closes the connection; other connections are unaffected', async (t) => {
  const { client, broker } = await setup(t);
  client.send(ProduceApi, 7, {
    transactionalId: null,
    acks: 0,
    timeoutMs: 1000,
    topicData: [{ name: 'nope', partitionData: [{ index: 0, records: batchOf('lost') }] }],
  });
  await client.waitClosed();
  const other = await RawClient.connect(broker.port);
  t.after(() => other.close());
  assert.equal((await produce(other, 7, 'events', 0, batchOf('ok'))).errorCode, ErrorCode.NONE);
});

test('Produce with acks outside -1, 0, 1: INVALID_REQUIRED_ACKS for every partition', async (t) => {
  const { client, broker } = await setup(t, { partitions: 2 });
  const res = await client.request(ProduceApi, 7, {
    transactionalId: null,
    acks: 2,
    timeoutMs: 1000,
    topicData: [
      {
        name: 'events',
        partitionData: [
          { index: 0, records: batchOf('a') },
          { index: 1, records: batchOf('b') },
        ],
      },
      { name: 'unknown', partitionData: [{ index: 0, records: batchOf('c') }] },
    ],
  });
  const codes = res.responses.flatMap((r) => r.partitionResponses.map((p) => p.errorCode));
  assert.deepEqual(codes, [21, 21, 21]);
  assert.equal(broker.context.topics.partition('events', 0)!.log.highWatermark, 0n);
});

/** Re-signs a batch after a test edits the CRC-covered bytes, so only the intended fault remains. */
function resign(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return batch;
}

const invalidCases: {
  name: string;
  topic?: string;
  partition?: number;
  records: () => Buffer | null;
  code: number;
}[] = [
  {
    name: 'unknown topic',
    topic: 'missing',
    records: () => batchOf('x'),
    code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  },
  {
    name: 'unknown partition',
    partition: 5,
    records: () => batchOf('x'),
    code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  },
  {
    name: 'invalid topic name',
    topic: 'bad/name',
    records: () => batchOf('x'),
    code: ErrorCode.INVALID_TOPIC_EXCEPTION,
  },
  { name: 'null records', records: () => null, code: ErrorCode.CORRUPT_MESSAGE },
  { name: 'empty records', records: () => Buffer.alloc(0), code: ErrorCode.CORRUPT_MESSAGE },
  {
    name: 'two batches',
    records: () => Buffer.concat([batchOf('x'), batchOf('y')]),
    code: ErrorCode.CORRUPT_MESSAGE,
  },
  {
    name: 'truncated batch',
    records: () => batchOf('x', 3).subarray(0, 70),
    code: ErrorCode.CORRUPT_MESSAGE,
  },
  {
    name: 'bad batch length',
    records: () => {
      const b = batchOf('x');
      b.writeInt32BE(10, 8);
      return b;
    },
    code: ErrorCode.CORRUPT_MESSAGE,
  },
  {
    name: 'magic 1',
    records: () => {
      const b = batchOf('x');
      b[MAGIC_OFFSET] = 1;
      return b;
    },
    code: ErrorCode.CORRUPT_MESSAGE,
  },
  {
    name: 'bad CRC',
    records: () => {
      const b = batchOf('x');
      b[b.length - 1] ^= 0xff;
      return b;
    },
    code: ErrorCode.CORRUPT_MESSAGE,
  },
  {
    name: 'unknown codec 6',
    records: () => {
      const b = batchOf('x');
      b.writeInt16BE(6, ATTRIBUTES_OFFSET);
      return resign(b);
    },
    code: ErrorCode.CORRUPT_MESSAGE,
  },
  {
    name: 'base offset not 0',
    records: () => {
      const b = batchOf('x');
      setBaseOffset(b, 0, 42n);
      return b;
    },
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: 'control batch from a client',
    records: () => buildControlBatch({ producerId: 1n, producerEpoch: 0, type: 'commit', timestamp: 1n }),
    code: ErrorCode.INVALID_RECORD,
  },
  {
    name: 'transactional batch without a transactional id or open transaction',
    records: () =>
      batchOf('x', 1, { producerId: 7n, producerEpoch: 0, baseSequence: 0, transactional: true }),
    code: ErrorCode.INVALID_TXN_STATE,
  },
];

for (const c of invalidCases) {
  test(`Produce rejects ${c.name}, and a valid partition in the same request still succeeds`, async (t) => {
    const { client, broker } = await setup(t, { partitions: 2 });
    const res = await client.request(ProduceApi, 8, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [
        { name: c.topic ?? 'events', partitionData: [{ index: c.partition ?? 0, records: c.records() }] },
        { name: 'events', partitionData: [{ index: 1, records: batchOf('good') }] },
      ],
    });
    const bad = res.responses[0].partitionResponses[0];
    assert.equal(bad.errorCode, c.code);
    assert.equal(bad.baseOffset, -1n);
    const good = res.responses[1].partitionResponses[0];
    assert.equal(good.errorCode, ErrorCode.NONE);
    assert.equal(broker.context.topics.partition('events', 0)!.log.highWatermark, 0n);
    assert.equal(broker.context.topics.partition('events', 1)!.log.highWatermark, 1n);
  });
}

test('Produce over max.message.bytes: MESSAGE_TOO_LARGE (checked before the CRC)', async (t) => {
  const { client } = await setup(t, { overrides: { 'max.message.bytes': '200' } });
  const big = batchOf('x'.repeat(300));
  big[big.length - 1] ^= 0xff; // a bad CRC too: the size is what gets reported
  assert.equal((await produce(client, 7, 'events', 0, big)).errorCode, ErrorCode.MESSAGE_TOO_LARGE);
  assert.equal((await produce(client, 7, 'events', 0, batchOf('small'))).errorCode, ErrorCode.NONE);
});

test('Produce of idempotent batches (producer id set) in sequence appends each; more in idempotence tests', async (t) => {
  const { client } = await setup(t);
  const opts = { producerId: 1234n, producerEpoch: 0 };
  const first = batchOf('i', 2, { ...opts, baseSequence: 0 });
  assert.equal((await produce(client, 9, 'events', 0, first)).baseOffset, 0n);
  const second = batchOf('i', 2, { ...opts, baseSequence: 2 });
  assert.equal((await produce(client, 9, 'events', 0, second)).baseOffset, 2n);
});

test('Produce to a LogAppendTime topic returns and stamps the broker time', async (t) => {
  const { client } = await setup(t, { overrides: { 'message.timestamp.type': 'LogAppendTime' } });
  const before = BigInt(Date.now());
  const res = await produce(client, 11, 'events', 0, batchOf('t', 2, { timestamp: 5n }));
  const after = BigInt(Date.now());
  assert.equal(res.errorCode, ErrorCode.NONE);
  assert.ok(res.logAppendTimeMs >= before && res.logAppendTimeMs <= after, String(res.logAppendTimeMs));
  const fetched = await fetch(client, 12, fetchRequest('events', [{ offset: 0n }]));
  const records = decodeRecords(fetched.responses[0].partitions[0].records!);
  assert.deepEqual(
    records.map((r) => r.timestamp),
    [res.logAppendTimeMs, res.logAppendTimeMs],
  );
});

test('Produce to many partitions in one request appends each, in request order', async (t) => {
  const { client, broker } = await setup(t, { partitions: 4 });
  const res = await client.request(ProduceApi, 11, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [
      {
        name: 'events',
        partitionData: [3, 1, 0, 2].map((index) => ({ index, records: batchOf(`p${index}`, index + 1) })),
      },
    ],
  });
  assert.deepEqual(
    res.responses[0].partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset]),
    [
      [3, 0, 0n],
      [1, 0, 0n],
      [0, 0, 0n],
      [2, 0, 0n],
    ],
  );
  for (const i of [0, 1, 2, 3])
    assert.equal(broker.context.topics.partition('events', i)!.log.highWatermark, BigInt(i + 1));
});

test('Produce with durability fsync answers after the append is durable', async (t) => {
  const { client, broker } = await setup(t, { broker: { durability: 'fsync' } });
  const res = await produce(client, 11, 'events', 0, batchOf('d', 4));
  assert.equal(res.errorCode, ErrorCode.NONE);
  const log = broker.context.topics.partition('events', 0)!.log;
  assert.equal(log.highWatermark, 4n);
  assert.ok(log.syncCount >= 1);
});
