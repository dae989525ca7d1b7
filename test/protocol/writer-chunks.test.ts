// A Writer made with `referenceFrom` keeps large byte fields by reference (the broker sends a fetch's record
// batches without copying them): its chunks, joined, must be exactly the bytes the copying writer produces,
// in every version of every message, and the large Buffers must really be sent as they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeResponseHeader, encodeResponseHeader } from '../../src/protocol/headers.ts';
import {
  FetchApi,
  messageCodecs,
  type FetchResponse,
  type FetchResponsePartitionData,
} from '../../src/protocol/messages/index.ts';
import { Reader } from '../../src/protocol/reader.ts';
import { Writer } from '../../src/protocol/writer.ts';
import { Rng, SEED, ValueGenerator } from './schema-values.ts';

const REFERENCE_FROM = 4096;
const RECORD_SIZES = [0, 100, REFERENCE_FROM - 1, REFERENCE_FROM, 70_000, 1024 * 1024];

function partition(index: number, records: Buffer | null, version: number): FetchResponsePartitionData {
  return {
    partitionIndex: index,
    errorCode: 0,
    highWatermark: 1000n + BigInt(index),
    lastStableOffset: 1000n,
    logStartOffset: 0n,
    abortedTransactions: index % 2 === 0 ? null : [{ producerId: 7n, firstOffset: 3n }],
    preferredReadReplica: -1,
    records,
    // Tagged fields (flexible versions), one of them as large as the records it follows.
    ...(version >= 12 && index % 2 === 1
      ? {
          divergingEpoch: { epoch: 3, endOffset: 99n },
          _unknownTags: [{ tag: 40, data: randomBytes(REFERENCE_FROM + 10) }],
        }
      : {}),
  };
}

function fetchResponse(version: number, records: (Buffer | null)[]): FetchResponse {
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: ['a', 'b'].map((name, t) => ({
      topic: name,
      topicId: `0000000${t}-0000-0000-0000-000000000000`,
      partitions: records.map((r, i) => partition(i, r, version)),
    })),
    nodeEndpoints: [],
  };
}

/** A whole response frame as the broker writes it: size prefix, header, body. */
function frame(w: Writer, version: number, response: FetchResponse): void {
  w.int32(0);
  encodeResponseHeader(w, FetchApi.apiKey, version, 42);
  FetchApi.response.encode(w, version, response);
  w.setInt32(0, w.length - 4);
}

for (const version of [4, 7, 11, 12, 13, 16]) {
  test(`Fetch v${version} response: records by reference give the bytes of the copied response`, () => {
    const records = [...RECORD_SIZES.map((n) => randomBytes(n)), null];
    const response = fetchResponse(version, records);
    const copied = new Writer();
    frame(copied, version, response);
    const expected = copied.toBuffer();

    const chunked = new Writer(undefined, { referenceFrom: REFERENCE_FROM });
    frame(chunked, version, response);
    const chunks = chunked.toChunks();
    assert.equal(chunked.length, expected.length);
    assert.ok(Buffer.concat(chunks).equals(expected), 'joined chunks equal the copied frame');
    assert.ok(chunked.toBuffer().equals(expected), 'toBuffer joins the chunks');
    assert.ok(chunks.every((c) => c.length > 0));

    // Every records Buffer of 4 KiB or more is one of the chunks, itself (twice: two topics); smaller
    // ones were copied.
    for (const r of records) {
      const references = chunks.filter((c) => c === r).length;
      assert.equal(references, r !== null && r.length >= REFERENCE_FROM ? 2 : 0, `records of ${r?.length}`);
    }

    const reader = new Reader(expected);
    assert.equal(reader.int32(), expected.length - 4);
    assert.equal(decodeResponseHeader(reader, FetchApi.apiKey, version).correlationId, 42);
    const decoded = FetchApi.response.decode(reader, version);
    assert.equal(reader.remaining, 0);
    assert.deepEqual(
      decoded.responses.flatMap((t) => t.partitions.map((p) => p.records)),
      [...records, ...records],
    );
  });
}

test(`every message and version: referencing every byte field gives the copied bytes (seed ${SEED})`, () => {
  const rng = new Rng(SEED);
  const values = new ValueGenerator(rng);
  let referenced = 0;
  for (const codec of messageCodecs) {
    for (let version = codec.minVersion; version <= codec.maxVersion; version++) {
      for (let round = 0; round < 5; round++) {
        const value = values.message(codec.schema, version);
        const copied = new Writer(16);
        codec.encode(copied, version, value);
        // From 1 byte: every non-empty bytes field, records and unknown tag, including those inside tagged
        // fields, whose size is written in front of them.
        const chunked = new Writer(16, { referenceFrom: 1 });
        chunked.int32(0);
        codec.encode(chunked, version, value);
        chunked.setInt32(0, chunked.length - 4);
        const chunks = chunked.toChunks();
        referenced += chunks.length - 1;
        const joined = Buffer.concat(chunks);
        const what = `${codec.name} v${version} round ${round}, SLUICE_TEST_SEED=${SEED}`;
        assert.equal(joined.readInt32BE(0), joined.length - 4, what);
        assert.ok(joined.subarray(4).equals(copied.toBuffer()), what);
      }
    }
  }
  assert.ok(referenced > 100, `only ${referenced} chunks referenced: the values hold too few bytes fields`);
});

test('setInt32 reaches own bytes before a referenced Buffer, never into it; growth keeps earlier chunks', () => {
  const big = Buffer.alloc(5000, 0xaa);
  const w = new Writer(16, { referenceFrom: 4096 });
  w.int32(0);
  w.int16(7);
  w.raw(big);
  w.int8(1);
  // Enough after the reference to grow the buffer several times.
  for (let i = 0; i < 1000; i++) w.int32(i);
  w.setInt32(0, w.length - 4);
  assert.throws(() => w.setInt32(6, 1), RangeError, 'inside the referenced Buffer');
  assert.throws(() => w.setInt32(4, 1), RangeError, 'across own bytes and the referenced Buffer');
  assert.throws(() => w.setInt32(w.length - 3, 1), RangeError, 'past the end');
  w.setInt32(w.length - 4, -1);

  const chunks = w.toChunks();
  assert.equal(chunks.length, 3);
  assert.equal(chunks[1], big);
  assert.ok(
    big.every((b) => b === 0xaa),
    'the referenced Buffer is not written to',
  );
  const r = new Reader(Buffer.concat(chunks));
  assert.equal(r.int32(), 6 + 5000 + 1 + 4000 - 4);
  assert.equal(r.int16(), 7);
  assert.ok(r.rawBytes(5000).equals(big));
  assert.equal(r.int8(), 1);
  for (let i = 0; i < 999; i++) assert.equal(r.int32(), i);
  assert.equal(r.int32(), -1);
  assert.equal(r.remaining, 0);
});
