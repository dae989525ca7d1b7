import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolEncodeError } from '../../src/protocol/encode-error.ts';
import { Reader } from '../../src/protocol/reader.ts';
import { Writer } from '../../src/protocol/writer.ts';

function bytesOf(write: (w: Writer) => void): string {
  const w = new Writer(16);
  write(w);
  return w.toBuffer().toString('hex');
}

function throwsEncode(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolEncodeError, `expected ProtocolEncodeError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('fixed-width values at their boundaries', () => {
  assert.equal(
    bytesOf((w) => {
      w.int8(-128);
      w.int8(127);
      w.uint8(255);
      w.int16(-32768);
      w.int16(32767);
      w.uint16(65535);
      w.int32(-2147483648);
      w.int32(2147483647);
      w.uint32(4294967295);
      w.int64(-(2n ** 63n));
      w.int64(2n ** 63n - 1n);
      w.bool(true);
      w.bool(false);
      w.float64(1.5);
    }),
    '807fff' +
      '80007fffffff' +
      '800000007fffffffffffffff' +
      '8000000000000000' +
      '7fffffffffffffff' +
      '0100' +
      '3ff8000000000000',
  );
});

test('out-of-range and non-integer values are refused, not truncated', () => {
  const w = new Writer();
  throwsEncode(() => w.int8(128), /128 is not a valid int8/);
  throwsEncode(() => w.int16(40000), /not a valid int16/);
  throwsEncode(() => w.int32(2 ** 31), /not a valid int32/);
  throwsEncode(() => w.int32(1.5), /not a valid int32/);
  throwsEncode(() => w.int32(null as unknown as number), /null is not a valid int32/);
  throwsEncode(() => w.uint16(-1), /not a valid uint16/);
  throwsEncode(() => w.uint32(2 ** 32), /not a valid uint32/);
  throwsEncode(() => w.int64(2n ** 63n), /not a valid int64/);
  throwsEncode(() => w.int64(5 as unknown as bigint), /not a valid int64/);
  throwsEncode(() => w.uvarint(-1), /not a valid unsigned varint/);
  throwsEncode(() => w.varint(2 ** 31), /not a valid varint/);
  throwsEncode(() => w.bool(1 as unknown as boolean), /not a valid bool/);
  assert.equal(w.length, 0, 'nothing was written');
});

test('varints: unsigned LEB128 and zigzag', () => {
  const u: [number, string][] = [
    [0, '00'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [4294967295, 'ffffffff0f'],
  ];
  for (const [v, hex] of u)
    assert.equal(
      bytesOf((w) => w.uvarint(v)),
      hex,
      String(v),
    );
  const z: [number, string][] = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-2, '03'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ];
  for (const [v, hex] of z)
    assert.equal(
      bytesOf((w) => w.varint(v)),
      hex,
      String(v),
    );
  assert.equal(
    bytesOf((w) => w.varlong(-(2n ** 63n))),
    'ffffffffffffffffff01',
  );
  assert.equal(
    bytesOf((w) => w.varlong(2n ** 63n - 1n)),
    'feffffffffffffffff01',
  );
  assert.equal(
    bytesOf((w) => w.varlong(-1n)),
    '01',
  );
  assert.equal(
    bytesOf((w) => w.uvarlong(2n ** 64n - 1n)),
    'ffffffffffffffffff01',
  );
  // Everything written reads back.
  const w = new Writer();
  const values = [0, 1, -1, 63, -64, 64, 8191, -8192, 2 ** 30, -(2 ** 31)];
  for (const v of values) w.varint(v);
  const r = new Reader(w.toBuffer());
  assert.deepEqual(
    values.map(() => r.varint()),
    values,
  );
});

test('uuids are parsed from either case and validated', () => {
  assert.equal(
    bytesOf((w) => w.uuid('00112233-4455-6677-8899-AABBCCDDEEFF')),
    '00112233445566778899aabbccddeeff',
  );
  const w = new Writer();
  throwsEncode(() => w.uuid('00112233445566778899aabbccddeeff'), /not a valid uuid/);
  throwsEncode(() => w.uuid('0011223g-4455-6677-8899-aabbccddeeff'), /not a valid uuid/);
  throwsEncode(() => w.uuid('00112233+4455-6677-8899-aabbccddeeff'), /not a valid uuid/);
});

test('strings: classic and compact, nulls, multi-byte characters, the 32767-byte limit', () => {
  assert.equal(
    bytesOf((w) => w.string('')),
    '0000',
  );
  assert.equal(
    bytesOf((w) => w.string('é')),
    '0002c3a9',
  );
  assert.equal(
    bytesOf((w) => w.nullableString(null)),
    'ffff',
  );
  assert.equal(
    bytesOf((w) => w.compactString('')),
    '01',
  );
  assert.equal(
    bytesOf((w) => w.compactString('😀')),
    '05f09f9880',
  );
  assert.equal(
    bytesOf((w) => w.compactNullableString(null)),
    '00',
  );
  const long = 'a'.repeat(1000);
  assert.equal(
    bytesOf((w) => w.compactString(long)),
    'e907' + '61'.repeat(1000),
  );
  assert.equal(
    new Reader(
      Buffer.from(
        bytesOf((w) => w.string(long)),
        'hex',
      ),
    ).string(),
    long,
  );
  const w = new Writer();
  throwsEncode(() => w.string('a'.repeat(32768)), /32768 bytes is longer than the 32767/);
  throwsEncode(() => w.compactString('中'.repeat(11000)), /33000 bytes is longer than the 32767/);
  throwsEncode(() => w.string('中'.repeat(11000)), /33000 bytes/);
  throwsEncode(() => w.string(null as unknown as string), /expected a string, got null/);
  assert.equal(w.length, 0);
  assert.equal(bytesOf((w2) => w2.string('a'.repeat(32767))).length, 2 * (2 + 32767));
});

test('bytes and array lengths, with null markers', () => {
  assert.equal(
    bytesOf((w) => w.bytes(Buffer.from([1, 2]))),
    '000000020102',
  );
  assert.equal(
    bytesOf((w) => w.nullableBytes(null)),
    'ffffffff',
  );
  assert.equal(
    bytesOf((w) => w.compactBytes(Buffer.from([1, 2]))),
    '030102',
  );
  assert.equal(
    bytesOf((w) => w.compactNullableBytes(null)),
    '00',
  );
  assert.equal(
    bytesOf((w) => w.arrayLength(-1)),
    'ffffffff',
  );
  assert.equal(
    bytesOf((w) => w.compactArrayLength(-1)),
    '00',
  );
  assert.equal(
    bytesOf((w) => w.compactArrayLength(3)),
    '04',
  );
  throwsEncode(() => new Writer().bytes('x' as unknown as Buffer), /expected a Buffer/);
});

test('the buffer grows by doubling and keeps everything written', () => {
  const w = new Writer(16);
  const chunk = Buffer.alloc(1000, 7);
  for (let i = 0; i < 100; i++) {
    w.int32(i);
    w.raw(chunk);
  }
  const out = w.toBuffer();
  assert.equal(out.length, 100 * 1004);
  assert.equal(w.length, out.length);
  assert.equal(out.readInt32BE(99 * 1004), 99);
  assert.equal(out[out.length - 1], 7);
  const first = w.toBuffer();
  w.raw(Buffer.alloc(100_000, 1));
  assert.equal(first.readInt32BE(0), 0, 'an earlier view keeps its content after growth');
});

test('size-prefixed sections: one-byte sizes in place, longer ones shifted', () => {
  for (const size of [0, 1, 127, 128, 300, 16383, 16384, 70000]) {
    const w = new Writer(16);
    w.int8(-1);
    const mark = w.beginSized();
    w.raw(Buffer.alloc(size, 0xab));
    w.endSized(mark);
    w.int8(-2);
    const r = new Reader(w.toBuffer());
    assert.equal(r.int8(), -1);
    assert.equal(r.uvarint(), size, `size ${size}`);
    const data = r.rawBytes(size);
    assert.ok(data.every((b) => b === 0xab));
    assert.equal(r.int8(), -2);
    assert.equal(r.remaining, 0);
  }
});

test('setInt32 patches a frame size in place; unknown tags are written in tag order', () => {
  const w = new Writer();
  w.int32(0);
  w.int16(5);
  w.setInt32(0, w.length - 4);
  assert.equal(w.toBuffer().toString('hex'), '000000020005');
  assert.throws(() => w.setInt32(4, 1), RangeError);
  assert.equal(
    bytesOf((x) =>
      x.unknownTags([
        { tag: 9, data: Buffer.from([1]) },
        { tag: 2, data: Buffer.alloc(0) },
      ]),
    ),
    '02' + '0200' + '090101',
  );
  assert.equal(
    bytesOf((x) => x.unknownTags(undefined)),
    '00',
  );
});
