import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RecordBatchError,
  batchSizeAt,
  buildControlBatch,
  buildRecordBatch,
  decodeRecords,
  parseControlRecordKey,
  parseControlRecordValue,
  readBatchHeader,
  scanBatches,
  setBaseOffset,
  setPartitionLeaderEpoch,
  splitBatches,
  validateBatch,
  type DecodedRecord,
  type RecordInput,
} from '../../src/protocol/record-batch.ts';
import { compress, type CompressionCodec } from '../../src/protocol/compression.ts';
import { crc32c } from '../../src/protocol/crc32c.ts';
import { KAFKAJS_CODEC_IDS, kafkajsDecode, kafkajsEncode, type KafkajsRecord } from './kafkajs-records.ts';

const CODECS: CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

function sampleRecords(n: number, t0 = 1_700_000_000_000n): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({
    key: i % 5 === 0 ? null : Buffer.from(`key-${i}`),
    value:
      i % 7 === 3
        ? null
        : i % 11 === 4
          ? Buffer.alloc(0)
          : Buffer.from(`{"n":${i},"pad":"${'x'.repeat(i % 50)}"}`),
    headers:
      i % 3 === 0
        ? []
        : [
            { key: 'producer', value: Buffer.from(`p-${i % 4}`) },
            { key: 'seq', value: i % 4 === 1 ? null : Buffer.from(String(i)) },
            { key: 'ünïcode', value: Buffer.alloc(0) },
          ],
    timestamp: t0 + BigInt((i * 37) % 1000) - 500n, // not monotonic: negative deltas too
  }));
}

function assertSameRecords(got: DecodedRecord[], records: RecordInput[], baseOffset: bigint): void {
  assert.equal(got.length, records.length);
  got.forEach((r, i) => {
    assert.equal(r.offset, baseOffset + BigInt(i));
    assert.equal(r.timestamp, records[i].timestamp);
    assert.deepEqual(r.key, records[i].key ?? null);
    assert.deepEqual(r.value, records[i].value);
    assert.deepEqual(r.headers, records[i].headers ?? []);
  });
}

/** kafkajs folds headers into an object (repeated keys become arrays). */
function asKafkajsHeaders(headers: { key: string; value: Buffer | null }[]): KafkajsRecord['headers'] {
  const out: KafkajsRecord['headers'] = {};
  for (const h of headers) {
    const prev = out[h.key];
    out[h.key] = prev === undefined ? h.value : Array.isArray(prev) ? [...prev, h.value] : [prev, h.value];
  }
  return out;
}

/** Rewrites the CRC after a deliberate edit, so that later checks are the ones exercised. */
function fixCrc(b: Buffer, at = 0): Buffer {
  const size = LOG_OVERHEAD + b.readInt32BE(at + BATCH_LENGTH_OFFSET);
  b.writeUInt32BE(crc32c(b.subarray(at + ATTRIBUTES_OFFSET, at + size)), at + CRC_OFFSET);
  return b;
}

/** A batch whose records section is exactly `body` (already compressed if the codec says so). */
function craft(body: Buffer, count: number, codecId = 0): Buffer {
  const b = buildRecordBatch({ records: [{ value: Buffer.from('x'), timestamp: 1n }] });
  const out = Buffer.concat([b.subarray(0, RECORD_BATCH_OVERHEAD), body]);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  out.writeInt16BE(codecId, ATTRIBUTES_OFFSET);
  out.writeInt32BE(count, RECORDS_COUNT_OFFSET);
  out.writeInt32BE(Math.max(0, count - 1), LAST_OFFSET_DELTA_OFFSET);
  return fixCrc(out);
}

function assertBatchError(fn: () => unknown, reason: string | RegExp, what = ''): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RecordBatchError, `${what}: expected RecordBatchError, got ${String(e)}`);
    if (typeof reason === 'string') assert.equal(e.reason, reason, `${what}: ${e.message}`);
    else assert.match(e.reason, reason, `${what}: ${e.message}`);
    assert.match(e.message, /at byte \d+/);
    return true;
  });
}

test('header layout constants', () => {
  assert.deepEqual(
    [
      BASE_OFFSET_OFFSET,
      BATCH_LENGTH_OFFSET,
      PARTITION_LEADER_EPOCH_OFFSET,
      MAGIC_OFFSET,
      CRC_OFFSET,
      ATTRIBUTES_OFFSET,
    ],
    [0, 8, 12, 16, 17, 21],
  );
  assert.deepEqual(
    [
      LAST_OFFSET_DELTA_OFFSET,
      BASE_TIMESTAMP_OFFSET,
      MAX_TIMESTAMP_OFFSET,
      PRODUCER_ID_OFFSET,
      PRODUCER_EPOCH_OFFSET,
    ],
    [23, 27, 35, 43, 51],
  );
  assert.deepEqual(
    [BASE_SEQUENCE_OFFSET, RECORDS_COUNT_OFFSET, RECORD_BATCH_OVERHEAD, LOG_OVERHEAD],
    [53, 57, 61, 12],
  );
});

test('buildRecordBatch writes every header field; readBatchHeader reads them back', () => {
  const records = sampleRecords(10);
  const b = buildRecordBatch({
    records,
    baseOffset: 1234n,
    compression: 'gzip',
    producerId: 77n,
    producerEpoch: 3,
    baseSequence: 100,
    transactional: true,
    partitionLeaderEpoch: 5,
  });
  const h = readBatchHeader(b);
  const ts = records.map((r) => r.timestamp!);
  assert.deepEqual(h, {
    baseOffset: 1234n,
    batchLength: b.length - 12,
    partitionLeaderEpoch: 5,
    magic: 2,
    crc: crc32c(b.subarray(21)),
    attributes: 0x11,
    compression: 'gzip',
    timestampType: 'create',
    isTransactional: true,
    isControl: false,
    lastOffsetDelta: 9,
    baseTimestamp: ts[0],
    maxTimestamp: ts.reduce((a, c) => (c > a ? c : a)),
    producerId: 77n,
    producerEpoch: 3,
    baseSequence: 100,
    recordCount: 10,
  });
  const d = readBatchHeader(buildRecordBatch({ records: [{ value: null }] }));
  assert.deepEqual(
    [d.producerId, d.producerEpoch, d.baseSequence, d.partitionLeaderEpoch, d.baseOffset],
    [-1n, -1, -1, -1, 0n],
  );
  assert.throws(() => buildRecordBatch({ records: [] }), RangeError);
});

test('readBatchHeader at an offset, and on fewer than 61 bytes', () => {
  const b = buildRecordBatch({ records: sampleRecords(2), baseOffset: 9n });
  const padded = Buffer.concat([Buffer.alloc(5), b]);
  assert.equal(readBatchHeader(padded, 5).baseOffset, 9n);
  assertBatchError(() => readBatchHeader(b.subarray(0, 60)), 'truncated');
  assertBatchError(() => readBatchHeader(padded, padded.length - 10), 'truncated');
});

for (const codec of CODECS) {
  test(`${codec}: build -> our decoder, and -> kafkajs's decoder`, async () => {
    const records = sampleRecords(300);
    const b = buildRecordBatch({ records, baseOffset: 5000n, compression: codec });
    const v = validateBatch(b);
    assert.ok(v.ok, v.ok ? '' : v.message);
    assert.equal(v.size, b.length);
    assertSameRecords(decodeRecords(b), records, 5000n);

    const kj = await kafkajsDecode(b);
    assert.equal(kj.records.length, records.length);
    kj.records.forEach((r, i) => {
      assert.equal(r.offset, String(5000 + i));
      assert.equal(r.timestamp, String(records[i].timestamp));
      assert.deepEqual(r.key, records[i].key ?? null);
      // kafkajs reads a zero-length value as an empty buffer and -1 as null, as we do.
      assert.deepEqual(r.value, records[i].value);
      assert.deepEqual(r.headers, asKafkajsHeaders(records[i].headers ?? []));
    });
  });

  test(`${codec}: kafkajs's encoder -> our decoder`, async () => {
    const t0 = 1_650_000_000_000n;
    const inputs = Array.from({ length: 500 }, (_, i) => ({
      offsetDelta: i,
      timestampDelta: (i * 13) % 400,
      key: i % 4 === 0 ? null : Buffer.from(`k${i}`),
      value: i % 9 === 2 ? null : i % 9 === 5 ? Buffer.alloc(0) : randomBytes(i % 200),
      // kafkajs 2.2.4 cannot encode a null header value (Buffer.byteLength(null) throws).
      headers: i % 2 ? { a: Buffer.from(`h${i}`), empty: Buffer.alloc(0) } : undefined,
    }));
    const b = await kafkajsEncode({
      compression: KAFKAJS_CODEC_IDS[codec],
      firstOffset: 70n,
      firstTimestamp: t0,
      maxTimestamp: t0 + 399n,
      lastOffsetDelta: inputs.length - 1,
      producerId: 12n,
      producerEpoch: 2,
      firstSequence: 40,
      records: inputs,
    });
    const v = validateBatch(b);
    assert.ok(v.ok, v.ok ? '' : v.message);
    assert.equal(v.header.compression, codec);
    assert.deepEqual([v.header.producerId, v.header.producerEpoch, v.header.baseSequence], [12n, 2, 40]);
    const got = decodeRecords(b);
    assert.equal(got.length, inputs.length);
    got.forEach((r, i) => {
      assert.equal(r.offset, 70n + BigInt(i));
      assert.equal(r.timestamp, t0 + BigInt(inputs[i].timestampDelta));
      assert.deepEqual(r.key, inputs[i].key);
      assert.deepEqual(r.value, inputs[i].value);
      const expected = Object.entries(inputs[i].headers ?? {}).map(([key, value]) => ({ key, value }));
      assert.deepEqual(r.headers, expected);
    });
  });
}

test('timestamps: large and negative deltas, LogAppendTime uses maxTimestamp', () => {
  const records: RecordInput[] = [
    { value: Buffer.from('a'), timestamp: 0n },
    { value: Buffer.from('b'), timestamp: 2n ** 40n },
    { value: Buffer.from('c'), timestamp: -1n },
    { value: Buffer.from('d'), timestamp: 2n ** 62n },
    { value: Buffer.from('e'), timestamp: -(2n ** 62n) },
  ];
  const b = buildRecordBatch({ records });
  assert.deepEqual(
    decodeRecords(b).map((r) => r.timestamp),
    records.map((r) => r.timestamp),
  );
  const la = buildRecordBatch({ records: records.slice(0, 3), timestampType: 'log-append' });
  assert.equal(readBatchHeader(la).timestampType, 'log-append');
  assert.deepEqual(
    decodeRecords(la).map((r) => r.timestamp),
    [2n ** 40n, 2n ** 40n, 2n ** 40n],
  );
  const defaulted = buildRecordBatch({ records: [{ value: null }], timestamp: 42n });
  assert.equal(decodeRecords(defaulted)[0].timestamp, 42n);
});

test('a big batch with many records and large values', () => {
  const records = Array.from({ length: 5000 }, (_, i) => ({
    key: Buffer.from(String(i)),
    value: randomBytes(i % 3 ? 10 : 3000),
  }));
  for (const codec of CODECS) {
    const b = buildRecordBatch({ records, compression: codec, timestamp: 5n });
    const got = decodeRecords(b);
    assert.equal(got.length, 5000);
    assert.ok(got[4999].value!.equals(records[4999].value));
    assert.equal(got[4999].offset, 4999n);
  }
});

test('setBaseOffset / setPartitionLeaderEpoch patch in place and keep the CRC valid', () => {
  const b = buildRecordBatch({ records: sampleRecords(3), compression: 'lz4' });
  const padded = Buffer.concat([Buffer.alloc(3), b]);
  setBaseOffset(padded, 3, 2n ** 40n);
  setPartitionLeaderEpoch(padded, 3, 17);
  const v = validateBatch(padded, 3);
  assert.ok(v.ok);
  assert.equal(v.header.baseOffset, 2n ** 40n);
  assert.equal(v.header.partitionLeaderEpoch, 17);
  assert.deepEqual(
    decodeRecords(padded, 3).map((r) => r.offset),
    [2n ** 40n, 2n ** 40n + 1n, 2n ** 40n + 2n],
  );
});

test('batchSizeAt, splitBatches and scanBatches over a concatenation', () => {
  const batches = [1, 5, 2].map((n, i) =>
    buildRecordBatch({ records: sampleRecords(n), baseOffset: BigInt(i * 10) }),
  );
  const all = Buffer.concat(batches);
  assert.equal(batchSizeAt(all, 0), batches[0].length);
  assert.equal(batchSizeAt(all, all.length - 11), -1);
  const spans = [...splitBatches(all)];
  assert.deepEqual(
    spans.map((s) => s.size),
    batches.map((b) => b.length),
  );
  assert.deepEqual(scanBatches(all), { batches: spans, end: all.length, tail: 'none' });
  for (const cut of [1, 11, 12, 60, batches[2].length - 1]) {
    const torn = all.subarray(0, all.length - cut);
    assert.deepEqual([...splitBatches(torn)], spans.slice(0, 2));
    assert.deepEqual(scanBatches(torn), {
      batches: spans.slice(0, 2),
      end: spans[2].offset,
      tail: 'partial',
    });
  }
  const badLength = Buffer.from(all);
  badLength.writeInt32BE(10, spans[1].offset + BATCH_LENGTH_OFFSET);
  assert.deepEqual(scanBatches(badLength), {
    batches: spans.slice(0, 1),
    end: spans[1].offset,
    tail: 'bad-length',
  });
  const negative = Buffer.from(all);
  negative.writeInt32BE(-13, spans[1].offset + BATCH_LENGTH_OFFSET);
  assert.equal(batchSizeAt(negative, spans[1].offset), 0);
  assert.equal(scanBatches(negative).tail, 'bad-length');
  assert.deepEqual(scanBatches(Buffer.alloc(0)), { batches: [], end: 0, tail: 'none' });
});

test('truncated at every byte position -> ok:false / RecordBatchError, never a throw from validate', () => {
  for (const codec of ['none', 'gzip'] as const) {
    const b = buildRecordBatch({ records: sampleRecords(4), compression: codec });
    for (let cut = 0; cut < b.length; cut++) {
      const part = b.subarray(0, cut);
      const v = validateBatch(part);
      assert.equal(v.ok, false);
      if (!v.ok) assert.equal(v.reason, 'truncated', `cut ${cut}: ${v.message}`);
      assertBatchError(() => decodeRecords(part), 'truncated');
      if (cut < RECORD_BATCH_OVERHEAD) assertBatchError(() => readBatchHeader(part), 'truncated');
    }
  }
});

test('a flipped bit anywhere from the CRC on is a bad CRC', () => {
  const b = buildRecordBatch({ records: sampleRecords(6), compression: 'snappy' });
  for (let i = CRC_OFFSET; i < b.length; i++) {
    const copy = Buffer.from(b);
    copy[i] ^= 1 << (i % 8);
    const v = validateBatch(copy);
    assert.ok(!v.ok && v.reason === 'bad-crc', `byte ${i}`);
    assert.match(v.ok ? '' : v.message, /^record batch at byte 0: CRC-32C mismatch/);
  }
});

test('wrong magic, bad batchLength, unknown codec', () => {
  const b = buildRecordBatch({ records: sampleRecords(2) });
  for (const magic of [0, 1, 3, -1]) {
    const copy = Buffer.from(b);
    copy.writeInt8(magic, MAGIC_OFFSET);
    const v = validateBatch(copy);
    assert.ok(!v.ok && v.reason === 'bad-magic', `magic ${magic}`);
    assertBatchError(() => decodeRecords(copy), 'bad-magic');
  }
  for (const len of [-5, 0, 48]) {
    const copy = Buffer.from(b);
    copy.writeInt32BE(len, BATCH_LENGTH_OFFSET);
    const v = validateBatch(copy);
    assert.ok(!v.ok && v.reason === 'bad-length', `length ${len}`);
  }
  for (const len of [b.length - 11, 0x7fffffff]) {
    const copy = Buffer.from(b);
    copy.writeInt32BE(len, BATCH_LENGTH_OFFSET);
    const v = validateBatch(copy);
    assert.ok(!v.ok && v.reason === 'truncated', `length ${len}`);
  }
  for (const id of [5, 6, 7]) {
    const copy = fixCrc(Buffer.from(b));
    copy.writeInt16BE(id, ATTRIBUTES_OFFSET);
    fixCrc(copy);
    const v = validateBatch(copy);
    assert.ok(!v.ok && v.reason === 'bad-codec', `codec ${id}`);
    assertBatchError(() => readBatchHeader(copy), 'bad-codec');
  }
});

test('record count and lastOffsetDelta must agree with each other and with the data', () => {
  const b = buildRecordBatch({ records: sampleRecords(3) });
  const lying = (count: number, lastOffsetDelta = count - 1, codec: CompressionCodec = 'none') => {
    const copy =
      codec === 'none' ? Buffer.from(b) : buildRecordBatch({ records: sampleRecords(3), compression: codec });
    copy.writeInt32BE(count, RECORDS_COUNT_OFFSET);
    copy.writeInt32BE(lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET);
    return fixCrc(copy);
  };
  const bad = (x: Buffer) => {
    const v = validateBatch(x);
    return v.ok ? 'ok' : v.reason;
  };
  assert.equal(bad(lying(4, 2)), 'bad-count'); // lastOffsetDelta disagrees
  assert.equal(bad(lying(-1)), 'bad-count');
  assert.equal(bad(lying(0x7fffffff)), 'bad-count'); // cannot fit in the bytes
  assertBatchError(() => decodeRecords(lying(4)), 'bad-count'); // fits the bytes, but runs out of records
  assertBatchError(() => decodeRecords(lying(2)), 'bad-count'); // bytes left over
  // Compressed: the header cannot tell; decoding must fail fast without allocating for 2^31 records.
  assert.equal(bad(lying(0x7fffffff, 0x7ffffffe, 'gzip')), 'ok');
  assertBatchError(() => decodeRecords(lying(0x7fffffff, 0x7ffffffe, 'gzip')), 'bad-count');
  assertBatchError(() => decodeRecords(lying(1_000_000, 999_999, 'zstd')), 'bad-count');
  // An empty batch (count 0, as compaction leaves) is valid whatever lastOffsetDelta says.
  const empty = craft(Buffer.alloc(0), 0);
  empty.writeInt32BE(7, LAST_OFFSET_DELTA_OFFSET);
  assert.ok(validateBatch(fixCrc(empty)).ok);
  assert.deepEqual(decodeRecords(empty), []);
});

test('malformed records are RecordBatchErrors (uncompressed and compressed)', () => {
  const v = (n: number) => {
    // zigzag varint of a small signed number
    const z = n >= 0 ? n * 2 : -n * 2 - 1;
    const out: number[] = [];
    let x = z;
    for (; x >= 0x80; x = Math.floor(x / 128)) out.push((x % 128) | 0x80);
    out.push(x);
    return out;
  };
  const record = (fields: number[]) => Buffer.from([...v(fields.length), ...fields]);
  const good = record([0, ...v(0), ...v(0), ...v(-1), ...v(1), 0x41, ...v(0)]);
  const cases: [string, Buffer][] = [
    ['varint that never ends', Buffer.from(Array.from({ length: 30 }, () => 0xff))],
    ['record length past the end', Buffer.from([...v(100), 0, 0, 0])],
    ['negative record length', Buffer.from([...v(-5), 0, 0, 0, 0, 0, 0])],
    ['negative key length other than -1', record([0, ...v(0), ...v(0), ...v(-2), ...v(1), 0x41, ...v(0)])],
    ['key longer than the record', record([0, ...v(0), ...v(0), ...v(50), ...v(1), 0x41, ...v(0)])],
    ['value length -7', record([0, ...v(0), ...v(0), ...v(-1), ...v(-7), ...v(0)])],
    ['huge header count', record([0, ...v(0), ...v(0), ...v(-1), ...v(-1), ...v(1_000_000_000)])],
    ['negative header count', record([0, ...v(0), ...v(0), ...v(-1), ...v(-1), ...v(-3)])],
    ['null header key', record([0, ...v(0), ...v(0), ...v(-1), ...v(-1), ...v(1), ...v(-1), ...v(-1)])],
    [
      'record shorter than its length says',
      Buffer.concat([Buffer.from([...v(good.length + 1)]), good.subarray(1), Buffer.from([0])]),
    ],
    [
      'varlong timestamp of 11 bytes',
      record([0, ...Array.from({ length: 10 }, () => 0x80), 0x01, ...v(0), ...v(-1), ...v(-1), ...v(0)]),
    ],
    ['truncated in the middle of a varint', Buffer.from([...v(3), 0, 0x80, 0x80])],
  ];
  assert.equal(decodeRecords(craft(good, 1)).length, 1);
  for (const [name, body] of cases) {
    for (const codec of ['none', 'gzip'] as const) {
      const batch = craft(compress(codec, body), 1, codec === 'none' ? 0 : 1);
      // validateBatch may or may not catch it from the header alone; decoding must.
      assertBatchError(() => decodeRecords(batch), /^bad-(record|count)$/, `${name} (${codec})`);
    }
  }
});

test('corrupt compressed data with a valid CRC is bad-compression; a bomb is too-large', () => {
  const garbage = craft(Buffer.from('this is not gzip at all'), 1, 1);
  assert.ok(validateBatch(garbage).ok);
  assertBatchError(() => decodeRecords(garbage), 'bad-compression');
  const bomb = craft(zlib.gzipSync(Buffer.alloc(20 << 20)), 1, 1);
  assertBatchError(() => decodeRecords(bomb, 0, 1 << 20), 'too-large');
  for (const [codec, id] of [
    ['snappy', 2],
    ['lz4', 3],
    ['zstd', 4],
  ] as const) {
    assertBatchError(() => decodeRecords(craft(Buffer.from('\x00garbage!!'), 1, id)), 'bad-compression');
    const big = craft(compress(codec, Buffer.alloc(4 << 20)), 1, id);
    assertBatchError(() => decodeRecords(big, 0, 1 << 20), 'too-large');
  }
});

test('fuzz: mutated batches (CRC fixed up) only ever fail with RecordBatchError', () => {
  for (const codec of CODECS) {
    const b = buildRecordBatch({ records: sampleRecords(20), compression: codec });
    for (let i = 0; i < 400; i++) {
      const copy = Buffer.from(b);
      for (let k = 1 + (i % 3); k > 0; k--) {
        const at = RECORD_BATCH_OVERHEAD + Math.floor(Math.random() * (copy.length - RECORD_BATCH_OVERHEAD));
        copy[at] = Math.floor(Math.random() * 256);
      }
      fixCrc(copy);
      try {
        decodeRecords(copy, 0, 1 << 20);
      } catch (e) {
        assert.ok(e instanceof RecordBatchError, `${codec}: ${String(e)}`);
      }
    }
  }
});

test('control batches: build, parse, and kafkajs sees an abort marker', async () => {
  for (const type of ['commit', 'abort'] as const) {
    const b = buildControlBatch({
      producerId: 4000n,
      producerEpoch: 7,
      type,
      coordinatorEpoch: 3,
      timestamp: 1_700_000_000_123n,
      baseOffset: 55n,
      partitionLeaderEpoch: 0,
    });
    const v = validateBatch(b);
    assert.ok(v.ok);
    const h = v.header;
    assert.equal(h.attributes, 0x30);
    assert.ok(h.isControl && h.isTransactional);
    assert.deepEqual(
      [h.producerId, h.producerEpoch, h.baseSequence, h.recordCount, h.lastOffsetDelta],
      [4000n, 7, -1, 1, 0],
    );
    assert.deepEqual(
      [h.baseOffset, h.partitionLeaderEpoch, h.baseTimestamp, h.maxTimestamp],
      [55n, 0, 1_700_000_000_123n, 1_700_000_000_123n],
    );
    const [rec] = decodeRecords(b);
    assert.deepEqual(rec.key, Buffer.from([0, 0, 0, type === 'commit' ? 1 : 0]));
    assert.deepEqual(rec.value, Buffer.from([0, 0, 0, 0, 0, 3]));
    assert.deepEqual(parseControlRecordKey(rec.key), { version: 0, type });
    assert.deepEqual(parseControlRecordValue(rec.value), { version: 0, coordinatorEpoch: 3 });

    const kj = await kafkajsDecode(b);
    assert.ok(kj.isControlBatch && kj.inTransaction);
    assert.equal(kj.producerId, '4000');
    assert.equal(kj.records[0].isControlRecord, true);
    // kafkajs's filterAbortedMessages recognises an abort by exactly this key.
    assert.equal(kj.records[0].key!.equals(Buffer.from([0, 0, 0, 0])), type === 'abort');
  }
  assertBatchError(() => parseControlRecordKey(Buffer.from([0, 0, 0])), 'bad-record');
  assertBatchError(() => parseControlRecordKey(Buffer.from([0, 0, 0, 2])), 'bad-record');
  assert.deepEqual(parseControlRecordKey(Buffer.from([0, 1, 0, 1])), { version: 1, type: 'commit' });
  assertBatchError(() => parseControlRecordValue(Buffer.from([0, 0, 0])), 'bad-record');
});
