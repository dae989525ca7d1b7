// Records written once into their final record-batch bytes: what a consumer decodes is what was published
// (keys, values, headers, timestamps, offsets), for both record shapes, compressed or not; the size a
// batch reports is its exact length; keys land on the partition Kafka's default partitioner picks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeRecords, validateBatch } from '../../../src/protocol/record-batch.ts';
import { keyPartition, murmur2 } from '../../../src/sdk/publisher/murmur2.ts';
import { completeChecksum } from '../../../src/sdk/batch-sender.ts';
import { OpenBatch } from '../../../src/sdk/publisher/open-batch.ts';
import {
  measure,
  newMeasure,
  prepareHeaders,
  type AnyRecord,
} from '../../../src/sdk/publisher/record-encoding.ts';
import { splitBatch } from '../../../src/sdk/publisher/split-batch.ts';

function fill(records: AnyRecord[], partition = 0): OpenBatch {
  const batch = new OpenBatch(partition, 64);
  const mm = newMeasure();
  for (const r of records) {
    measure(r, mm, 1_700_000_000_000);
    const before = batch.size;
    const size = batch.sizeOf(mm);
    if (batch.size + size > batch.capacity) batch.grow(Math.max(batch.capacity * 2, batch.size + size));
    batch.append(r, mm);
    assert.equal(batch.size - before, size, 'sizeOf is what append writes');
  }
  return batch;
}

const headers = prepareHeaders(
  { 'content-type': Buffer.from('application/json'), p: Buffer.from('ü') },
  'seq',
);

const records: AnyRecord[] = [
  {
    key: Buffer.from('k0'),
    value: Buffer.from('v0'),
    headers: { a: Buffer.from('1') },
    timestamp: 1_700_000_000_500n,
  },
  { key: null, value: Buffer.alloc(300, 'x'), headers: {}, timestamp: 1_699_999_000_000n },
  {
    key: 'ключ',
    value: '{"text":"日本語 and ascii"}',
    headers,
    lastHeaderValue: '42',
    timestamp: 1_700_000_100_000,
  },
  { key: Buffer.from('k3'), value: Buffer.from(''), headers: { é: Buffer.alloc(0), b: Buffer.from('2') } },
];

function check(buf: Buffer): void {
  const v = validateBatch(buf);
  assert.ok(v.ok, v.ok ? '' : v.message);
  const got = decodeRecords(buf);
  assert.deepEqual(
    got.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString()]),
    [
      [0n, 1_700_000_000_500n, 'k0', 'v0'],
      [1n, 1_699_999_000_000n, null, 'x'.repeat(300)],
      [2n, 1_700_000_100_000n, 'ключ', '{"text":"日本語 and ascii"}'],
      [3n, 1_700_000_000_000n, 'k3', ''],
    ],
  );
  assert.deepEqual(
    got.map((r) => r.headers.map((h) => [h.key, h.value?.toString()])),
    [
      [['a', '1']],
      [],
      [
        ['content-type', 'application/json'],
        ['p', 'ü'],
        ['seq', '42'],
      ],
      [
        ['é', ''],
        ['b', '2'],
      ],
    ],
  );
}

test('both record shapes decode as published; the sealed batch is exactly its size', () => {
  const batch = fill(records);
  const size = batch.size;
  const sealed = batch.seal();
  assert.equal(sealed.bytes.length, size);
  assert.equal(sealed.records, 4);
  assert.equal(sealed.partition, 0);
  check(sealed.bytes);
});

test('a batch sealed for the idempotent sender has no CRC until it is completed; split completes it first', () => {
  const pending = fill(records).seal('none', Infinity, false);
  assert.equal(pending.checksumPending, true);
  const before = validateBatch(pending.bytes);
  assert.equal(before.ok ? 'ok' : before.reason, 'bad-crc', 'the CRC is left to the sender');
  completeChecksum(pending);
  assert.equal(pending.checksumPending, false);
  check(pending.bytes);
  const complete = fill(records).seal();
  assert.deepEqual(pending.bytes, complete.bytes, 'completed, it is the batch sealed with its CRC');

  const parts = splitBatch(fill(records, -1).seal('none', Infinity, false), 2, 'none');
  assert.equal(
    parts.reduce((n, p) => n + p.records, 0),
    records.length,
  );
  for (const part of parts) assert.equal(validateBatch(part.bytes).ok, true);
});

test('lengths and deltas at the one- and two-byte varint limits, short keys of any text: decode as published', () => {
  // Varints of 63/64 and 8191/8192 (one, two, three bytes zigzagged), negative deltas, keys around the
  // 16 characters looked at in JavaScript, multi-byte keys and header values.
  const keys = ['', 'k', 'a'.repeat(16), 'a'.repeat(17), 'é', 'ключ-🔑', 'x'.repeat(15) + 'ü', '\u007f'];
  const lengths = [0, 1, 63, 64, 65, 8191, 8192, 8193];
  const base = 1_700_000_000_000;
  const many: AnyRecord[] = [];
  const sent: { key: string; value: string; timestamp: number; last?: string }[] = [];
  for (let i = 0; i < 130; i++) {
    const value = 'v'.repeat(lengths[i % lengths.length]);
    const key = keys[i % keys.length];
    const timestamp = base + [0, -1, 63, 64, -65, 8191, 8192, -8193, 1e6][i % 9];
    if (i % 2 === 0) {
      const last = i % 3 === 0 ? 'é'.repeat(i % 5) : i * 1000;
      many.push({ key, value, headers, lastHeaderValue: last, timestamp });
      sent.push({ key, value, timestamp, last: String(last) });
    } else {
      many.push({
        key: Buffer.from(key),
        value: Buffer.from(value),
        headers: {},
        timestamp: BigInt(timestamp),
      });
      sent.push({ key, value, timestamp });
    }
  }
  const sealed = fill(many).seal();
  const v = validateBatch(sealed.bytes);
  assert.ok(v.ok, v.ok ? '' : v.message);
  const got = decodeRecords(sealed.bytes);
  assert.equal(got.length, many.length);
  got.forEach((r, i) => {
    assert.equal(r.offset, BigInt(i));
    assert.equal(r.timestamp, BigInt(sent[i].timestamp));
    assert.equal(r.key?.toString(), sent[i].key, `key of ${i}`);
    assert.equal(r.value?.toString(), sent[i].value, `value of ${i}`);
    if (sent[i].last !== undefined)
      assert.equal(r.headers[2]?.value?.toString(), sent[i].last, `header of ${i}`);
  });
});

test('a compressed batch decodes the same', () => {
  for (const codec of ['gzip', 'lz4', 'snappy'] as const) check(fill(records).seal(codec).bytes);
});

test("murmur2 and the partition of a key match Kafka's default partitioner", () => {
  // Vectors from Apache Kafka's UtilsTest.testMurmur2.
  const vectors: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [s, h] of vectors) assert.equal(murmur2(Buffer.from(s)), h, s);
  assert.equal(keyPartition(Buffer.from('21'), 7), (-973932308 & 0x7fffffff) % 7);
});

test('a batch sealed before the partition count was known splits by key, order kept per partition', () => {
  const many: AnyRecord[] = Array.from({ length: 60 }, (_, i) => ({
    key: Buffer.from(`key-${i % 9}`),
    value: Buffer.from(`v${i}`),
    headers: { n: Buffer.from(String(i)) },
    timestamp: BigInt(1_700_000_000_000 + i),
  }));
  const parts = splitBatch(fill(many, -1).seal(), 3, 'none');
  assert.equal(
    parts.reduce((n, p) => n + p.records, 0),
    60,
  );
  for (const part of parts) {
    const got = decodeRecords(part.bytes);
    for (const r of got) assert.equal(keyPartition(r.key!, 3), part.partition);
    const seq = got.map((r) => Number(r.value!.toString().slice(1)));
    assert.deepEqual(
      seq,
      [...seq].sort((a, b) => a - b),
    );
  }
});
