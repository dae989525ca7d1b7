import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import {
  COMPRESSION_CODECS,
  COMPRESSION_IDS,
  CompressionError,
  UnsupportedCompressionError,
  codecFromId,
  compress,
  decompress,
  isCompressionCodec,
  type CompressionCodec,
} from '../../src/protocol/compression.ts';
import { snappyCompressRaw, snappyCompressXerial, snappyDecompress } from '../../src/protocol/snappy.ts';
import { lz4CompressFrame, lz4DecompressFrame } from '../../src/protocol/lz4.ts';
import { xxhash32 } from '../../src/protocol/xxhash32.ts';
import { platformatic } from './platformatic-codecs.ts';

const codecs = COMPRESSION_CODECS;

function sample(): Buffer[] {
  const text = Buffer.from(
    Array.from(
      { length: 3000 },
      (_, i) => `{"metric":"http.requests","host":"fe-${i % 7}","value":${i}}\n`,
    ).join(''),
  );
  return [
    Buffer.alloc(0),
    Buffer.from('a'),
    Buffer.from('abcabcabcabcabcabc'),
    text,
    randomBytes(70_000), // incompressible, more than one 64 KiB block / 32 KiB chunk
    Buffer.alloc(300_000, 7), // long runs: long matches and overlapping copies
    Buffer.concat([text, randomBytes(1000), text.subarray(0, 5000)]),
  ];
}

test('codec ids match Kafka attributes 0..4', () => {
  assert.deepEqual(COMPRESSION_IDS, { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 });
  for (const c of codecs) assert.equal(codecFromId(COMPRESSION_IDS[c]), c);
  for (const id of [5, 6, 7, -1]) assert.equal(codecFromId(id), undefined);
  assert.ok(isCompressionCodec('lz4'));
  assert.ok(!isCompressionCodec('brotli'));
  assert.ok(!isCompressionCodec('toString'));
});

for (const codec of codecs) {
  test(`${codec}: round-trips`, () => {
    for (const input of sample()) {
      const packed = compress(codec, input);
      assert.ok(decompress(codec, packed).equals(input), `${codec}, ${input.length} bytes`);
    }
  });

  test(`${codec}: output above maxBytes is a 'too-large' CompressionError`, () => {
    const input = Buffer.alloc(100_000, 1);
    const packed = compress(codec, input);
    assert.ok(decompress(codec, packed, input.length).equals(input));
    assert.throws(
      () => decompress(codec, packed, input.length - 1),
      (e: unknown) => e instanceof CompressionError && e.reason === 'too-large' && e.codec === codec,
    );
  });
}

for (const codec of codecs.filter((c) => c !== 'none')) {
  test(`${codec}: garbage and truncated input are CompressionErrors`, () => {
    const packed = compress(codec, sample()[3]);
    const bad: Buffer[] = [Buffer.alloc(0), Buffer.from('definitely not compressed data'), randomBytes(1000)];
    for (let cut = 0; cut < packed.length - 1; cut += Math.max(1, Math.floor(packed.length / 97))) {
      bad.push(packed.subarray(0, cut));
    }
    for (const input of bad) {
      assert.throws(
        () => decompress(codec, input),
        (e: unknown) => e instanceof CompressionError && e.codec === codec,
        `${codec}: ${input.length} bytes`,
      );
    }
  });

  test(`${codec}: random corruption never escapes as anything but CompressionError`, () => {
    const packed = compress(codec, sample()[6]);
    for (let i = 0; i < 300; i++) {
      const copy = Buffer.from(packed);
      for (let k = 1 + (i % 4); k > 0; k--) copy[Math.floor(Math.random() * copy.length)] ^= 1 << (i % 8);
      try {
        decompress(codec, copy, 1 << 20);
      } catch (e) {
        assert.ok(e instanceof CompressionError, `${codec}: ${String(e)}`);
      }
    }
  });
}

test('unknown codec names are UnsupportedCompressionError', () => {
  assert.throws(() => compress('brotli' as CompressionCodec, Buffer.from('x')), UnsupportedCompressionError);
  assert.throws(
    () => decompress('lzma' as CompressionCodec, Buffer.from('x')),
    (e: unknown) => {
      return e instanceof UnsupportedCompressionError && e.codec === 'lzma' && /lzma/.test(e.message);
    },
  );
});

test('gzip and zstd interoperate with plain zlib streams', () => {
  const input = sample()[3];
  assert.ok(decompress('gzip', zlib.gzipSync(input, { level: 9 })).equals(input));
  assert.ok(zlib.gunzipSync(compress('gzip', input)).equals(input));
  assert.ok(decompress('zstd', zlib.zstdCompressSync(input)).equals(input));
  assert.ok(zlib.zstdDecompressSync(compress('zstd', input)).equals(input));
});

// snappy

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

function xerialFrame(chunks: Buffer[]): Buffer {
  const parts: Buffer[] = [XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])];
  for (const c of chunks) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(c.length);
    parts.push(len, c);
  }
  return Buffer.concat(parts);
}

/** How @platformatic/kafka (and librdkafka, snappy-java) read snappy: xerial chunks if framed, else raw. */
function platformaticSnappyDecompress(data: Buffer): Buffer {
  if (!data.subarray(0, 8).equals(XERIAL_MAGIC)) return platformatic.snappyDecompress(data);
  const out: Buffer[] = [];
  for (let pos = 16; pos < data.length;) {
    const len = data.readUInt32BE(pos);
    out.push(platformatic.snappyDecompress(data.subarray(pos + 4, pos + 4 + len)));
    pos += 4 + len;
  }
  return Buffer.concat(out);
}

test('snappy: we write xerial framing (what the Java producer writes), with 32 KiB chunks', () => {
  const packed = compress('snappy', Buffer.alloc(100_000, 3));
  assert.ok(packed.subarray(0, 8).equals(XERIAL_MAGIC));
  assert.equal(packed.readUInt32BE(8), 1);
  assert.equal(packed.readUInt32BE(12), 1);
  // Even empty input gets one chunk, so librdkafka (which wants > 20 bytes to see framing) reads it.
  assert.ok(compress('snappy', Buffer.alloc(0)).length > 20);
});

test('snappy: platformatic/kafka (Rust snap) reads ours, raw and framed', () => {
  for (const input of sample()) {
    assert.ok(platformatic.snappyDecompress(snappyCompressRaw(input)).equals(input));
    assert.ok(platformaticSnappyDecompress(snappyCompressXerial(input)).equals(input));
  }
});

test('snappy: we read platformatic/kafka (Rust snap) output, raw and xerial-framed in several chunks', () => {
  for (const input of sample()) {
    assert.ok(snappyDecompress(platformatic.snappyCompress(input), 1 << 24).equals(input));
    const chunks: Buffer[] = [];
    for (let s = 0; s < input.length; s += 10_000)
      chunks.push(platformatic.snappyCompress(input.subarray(s, s + 10_000)));
    assert.ok(decompress('snappy', xerialFrame(chunks)).equals(input));
  }
});

test('snappy: a declared length above the limit is refused before allocating', () => {
  // Preamble of 0xffffffff (4 GiB) then one literal byte.
  const bomb = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x41]);
  assert.throws(
    () => decompress('snappy', bomb),
    (e: unknown) => e instanceof CompressionError && e.reason === 'too-large',
  );
  // Xerial chunks share one budget.
  const chunk = snappyCompressRaw(Buffer.alloc(1000));
  assert.throws(
    () => decompress('snappy', xerialFrame([chunk, chunk, chunk]), 2500),
    (e: unknown) => e instanceof CompressionError && e.reason === 'too-large',
  );
});

test('snappy: copies before the start of the output and length mismatches are corrupt', () => {
  const cases = [
    Buffer.from([0x04, 0x01, 0x00]), // copy-1 of 4 bytes at offset 0 before any output
    Buffer.from([0x08, 0x00, 0x41, 0x0f, 0xff, 0xff, 0xff, 0xff]), // copy-4 with offset 0xffffffff
    Buffer.from([0x05, 0x00, 0x41]), // declares 5 bytes, produces 1
    Buffer.from([0x01, 0x04, 0x41, 0x42]), // literal of 2 into a 1-byte output
    Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), // 6-byte preamble
  ];
  for (const c of cases) {
    assert.throws(
      () => decompress('snappy', c),
      (e: unknown) => e instanceof CompressionError && e.reason === 'corrupt',
      c.toString('hex'),
    );
  }
});

// LZ4

test('xxhash32 known answers', () => {
  const enc = (s: string) => Buffer.from(s);
  assert.equal(xxhash32(enc('')), 0x02cc5d05);
  assert.equal(xxhash32(enc('abc')), 0x32d153ff);
  assert.equal(xxhash32(enc('Nobody inspects the spammish repetition')), 0xe2293b2f);
  assert.equal(xxhash32(enc('abc'), 0, 3, 1), xxhash32(Buffer.from('xabcx'), 1, 4, 1));
});

test('lz4: we write what Java Kafka reads: version 1, independent 64 KiB blocks, valid descriptor checksum', () => {
  const packed = compress('lz4', randomBytes(200_000));
  assert.equal(packed.readUInt32LE(0), 0x184d2204);
  assert.equal(packed[4], 0x60); // version 01, block independence, no checksums, no content size
  assert.equal(packed[5], 0x40); // 64 KiB maximum block size
  assert.equal(packed[6], (xxhash32(packed, 4, 6) >>> 8) & 0xff);
  assert.equal(packed.readUInt32LE(packed.length - 4), 0); // EndMark
});

test('lz4: platformatic/kafka (Rust lz4_flex) reads ours and we read theirs', () => {
  for (const input of sample()) {
    assert.ok(
      platformatic.lz4Decompress(lz4CompressFrame(input)).equals(input),
      `ours -> theirs ${input.length}`,
    );
    assert.ok(
      lz4DecompressFrame(platformatic.lz4Compress(input), 1 << 24).equals(input),
      `theirs -> ours ${input.length}`,
    );
  }
});

interface FrameOptions {
  contentSize?: number;
  blockChecksum?: boolean;
  contentChecksum?: boolean;
  independent?: boolean;
}

/** An LZ4 frame from raw block payloads (with the 'uncompressed' bit where asked), for flag coverage. */
function lz4Frame(blocks: { data: Buffer; raw: boolean }[], content: Buffer, o: FrameOptions): Buffer {
  const flg =
    0x40 |
    (o.independent === false ? 0 : 0x20) |
    (o.blockChecksum ? 0x10 : 0) |
    (o.contentSize !== undefined ? 0x08 : 0) |
    (o.contentChecksum ? 0x04 : 0);
  const desc = [Buffer.from([flg, 0x40])];
  if (o.contentSize !== undefined) {
    const cs = Buffer.alloc(8);
    cs.writeBigUInt64LE(BigInt(o.contentSize));
    desc.push(cs);
  }
  const d = Buffer.concat(desc);
  const parts: Buffer[] = [
    Buffer.from([0x04, 0x22, 0x4d, 0x18]),
    d,
    Buffer.from([(xxhash32(d) >>> 8) & 0xff]),
  ];
  for (const b of blocks) {
    const h = Buffer.alloc(4);
    h.writeUInt32LE((b.data.length | (b.raw ? 0x80000000 : 0)) >>> 0);
    parts.push(h, b.data);
    if (o.blockChecksum) {
      const c = Buffer.alloc(4);
      c.writeUInt32LE(xxhash32(b.data));
      parts.push(c);
    }
  }
  parts.push(Buffer.alloc(4));
  if (o.contentChecksum) {
    const c = Buffer.alloc(4);
    c.writeUInt32LE(xxhash32(content));
    parts.push(c);
  }
  return Buffer.concat(parts);
}

test('lz4: frames with content size, block and content checksums, linked blocks decode', () => {
  const a = Buffer.from('0123456789abcdef');
  // A linked block: one match of 8 bytes at offset 16 (into the previous block), then literal 'x'.
  const linked = Buffer.from([0x04, 16, 0, 0x10, 0x78]);
  const content = Buffer.concat([a, Buffer.from('01234567x')]);
  const blocks = [
    { data: a, raw: true },
    { data: linked, raw: false },
  ];
  const all = { contentSize: content.length, blockChecksum: true, contentChecksum: true, independent: false };
  assert.ok(lz4DecompressFrame(lz4Frame(blocks, content, all), 1000).equals(content));
  assert.ok(platformatic.lz4Decompress(lz4Frame(blocks, content, all)).equals(content)); // the frame is sound

  const badBlockSum = lz4Frame(blocks, content, all);
  badBlockSum[7 + 8 + 4] ^= 1; // first byte of the first block's payload
  assert.throws(() => lz4DecompressFrame(badBlockSum, 1000), /block checksum mismatch/);
  const badContentSum = lz4Frame(blocks, content, all);
  badContentSum[badContentSum.length - 1] ^= 1;
  assert.throws(() => lz4DecompressFrame(badContentSum, 1000), /content checksum mismatch/);
  const wrongSize = lz4Frame(blocks, content, { ...all, contentSize: content.length + 1 });
  assert.throws(() => lz4DecompressFrame(wrongSize, 1000), /content size/);
  const bomb = lz4Frame(blocks, content, { ...all, contentSize: 2 ** 40 });
  assert.throws(
    () => lz4DecompressFrame(bomb, 1 << 20),
    (e: unknown) => e instanceof CompressionError && e.reason === 'too-large',
  );
});

test('lz4: bad descriptor checksum, magic, reserved bits and trailing bytes are corrupt', () => {
  const good = compress('lz4', Buffer.from('hello hello hello hello'));
  const mutate = (i: number, x: number) => {
    const b = Buffer.from(good);
    b[i] ^= x;
    return b;
  };
  for (const bad of [
    mutate(6, 1),
    mutate(0, 1),
    mutate(4, 0x02),
    mutate(5, 0x01),
    Buffer.concat([good, Buffer.from([0])]),
  ]) {
    assert.throws(
      () => decompress('lz4', bad),
      (e: unknown) => e instanceof CompressionError && e.reason === 'corrupt',
    );
  }
});
