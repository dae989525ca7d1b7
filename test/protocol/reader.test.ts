import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolDecodeError } from '../../src/protocol/decode-error.ts';
import { Reader } from '../../src/protocol/reader.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const reader = (s: string) => new Reader(hex(s));

function throwsDecode(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolDecodeError, `expected ProtocolDecodeError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.equal(typeof err.offset, 'number');
    return true;
  });
}

test('fixed-width integers and floats at their boundaries', () => {
  const r = reader(
    '80 7f ff 8000 7fff ffff 80000000 7fffffff ffffffff 8000000000000000 7fffffffffffffff ffffffff',
  );
  assert.equal(r.int8(), -128);
  assert.equal(r.int8(), 127);
  assert.equal(r.uint8(), 255);
  assert.equal(r.int16(), -32768);
  assert.equal(r.int16(), 32767);
  assert.equal(r.uint16(), 65535);
  assert.equal(r.int32(), -2147483648);
  assert.equal(r.int32(), 2147483647);
  assert.equal(r.uint32(), 4294967295);
  assert.equal(r.int64(), -(2n ** 63n));
  assert.equal(r.int64(), 2n ** 63n - 1n);
  assert.equal(r.int32(), -1);
  assert.equal(r.remaining, 0);
  assert.equal(reader('3ff8000000000000').float64(), 1.5);
  assert.ok(Object.is(reader('8000000000000000').float64(), -0));
  const b = reader('00 01 02');
  assert.deepEqual([b.bool(), b.bool(), b.bool()], [false, true, true]);
});

test('unsigned varints: LEB128, at most 5 bytes and 32 bits', () => {
  const cases: [string, number][] = [
    ['00', 0],
    ['7f', 127],
    ['8001', 128],
    ['ac02', 300],
    ['ffff03', 65535],
    ['ffffffff0f', 4294967295],
  ];
  for (const [bytes, value] of cases) {
    const r = reader(bytes);
    assert.equal(r.uvarint(), value, bytes);
    assert.equal(r.remaining, 0);
  }
  throwsDecode(() => reader('ffffffff10').uvarint(), /does not fit in 32 bits/);
  throwsDecode(() => reader('ffffffffff01').uvarint(), /is longer than 5 bytes/);
  throwsDecode(() => reader('ffffff').uvarint(), /truncated.*ends after 3 byte/);
  throwsDecode(() => reader('').uvarint(), /truncated/);
});

test('zigzag varints and varlongs', () => {
  const ints: [string, number][] = [
    ['00', 0],
    ['01', -1],
    ['02', 1],
    ['03', -2],
    ['feffffff0f', 2147483647],
    ['ffffffff0f', -2147483648],
  ];
  for (const [bytes, value] of ints) assert.equal(reader(bytes).varint(), value, bytes);
  const longs: [string, bigint][] = [
    ['00', 0n],
    ['01', -1n],
    ['02', 1n],
    ['feffffffffffffffff01', 2n ** 63n - 1n],
    ['ffffffffffffffffff01', -(2n ** 63n)],
  ];
  for (const [bytes, value] of longs) assert.equal(reader(bytes).varlong(), value, bytes);
  assert.equal(reader('ffffffffffffffffff01').uvarlong(), 2n ** 64n - 1n);
  throwsDecode(() => reader('ffffffffffffffffff02').uvarlong(), /does not fit in 64 bits/);
  throwsDecode(() => reader('ff'.repeat(20)).varlong(), /varlong/);
});

test('uuids come out in canonical lowercase form', () => {
  assert.equal(reader('00112233445566778899AABBCCDDEEFF').uuid(), '00112233-4455-6677-8899-aabbccddeeff');
  assert.equal(reader('00'.repeat(16)).uuid(), '00000000-0000-0000-0000-000000000000');
  throwsDecode(() => reader('00'.repeat(15)).uuid(), /uuid at offset 0 needs 16/);
});

test('classic and compact strings, with their null markers', () => {
  assert.equal(reader('0000').string(), '');
  assert.equal(reader('0002 c3a9').string(), 'é');
  assert.equal(reader('ffff').nullableString(), null);
  throwsDecode(() => reader('ffff').string('topics[].name'), /non-nullable string topics\[\]\.name is null/);
  throwsDecode(() => reader('fffe').nullableString(), /negative length -2/);
  throwsDecode(
    () => reader('0005 6162').string(),
    /truncated: reading string at offset 2 needs 5 byte\(s\), 2 remain/,
  );
  assert.equal(reader('01').compactString(), '');
  assert.equal(reader('04 616263').compactString(), 'abc');
  assert.equal(reader('00').compactNullableString(), null);
  throwsDecode(() => reader('00').compactString(), /non-nullable compact string is null/);
  // A compact length may not exceed what an int16-prefixed string could hold.
  throwsDecode(() => reader('818002').compactString(), /more than the 32767/);
});

test('bytes are zero-copy views of the input', () => {
  const input = hex('00000003 010203 04 aabbcc');
  const r = new Reader(input);
  const a = r.bytes();
  const b = r.compactBytes();
  assert.deepEqual([...a], [1, 2, 3]);
  assert.deepEqual([...b], [0xaa, 0xbb, 0xcc]);
  assert.equal(a.buffer, input.buffer, 'shares memory with the input');
  input[4] = 9;
  assert.equal(a[0], 9, 'a view sees later changes to the input');
  assert.equal(reader('ffffffff').nullableBytes(), null);
  assert.equal(reader('00').compactNullableBytes(), null);
  throwsDecode(() => reader('ffffffff').bytes('records'), /non-nullable bytes records are null/);
  throwsDecode(() => reader('fffffffe').nullableBytes(), /negative length -2/);
  throwsDecode(() => reader('7fffffff 00').bytes(), /needs 2147483647 byte\(s\), 1 remain/);
});

test('array lengths: null markers, negatives, and counts larger than the bytes left', () => {
  assert.equal(reader('ffffffff').arrayLength(), -1);
  assert.equal(reader('00000002 0000').arrayLength(), 2);
  throwsDecode(() => reader('fffffffe').arrayLength(), /negative length -2/);
  throwsDecode(
    () => reader('7fffffff 00').arrayLength('topics'),
    /array topics declares 2147483647 elements but only 1 bytes remain/,
  );
  assert.equal(reader('00').compactArrayLength(), -1);
  assert.equal(reader('03 0000').compactArrayLength(), 2);
  throwsDecode(() => reader('ffffffff0f').compactArrayLength(), /declares 4294967294 elements but only 0/);
});

test('tagged field sections', () => {
  const r = reader('02 00 01 aa 8001 00');
  assert.deepEqual(r.unknownTags(), [
    { tag: 0, data: hex('aa') },
    { tag: 128, data: Buffer.alloc(0) },
  ]);
  assert.equal(reader('00').unknownTags(), undefined);
  throwsDecode(() => reader('05 0000').tagCount(), /declares 5 fields but only 2 bytes remain/);
  throwsDecode(() => reader('01 00 05 aa').unknownTags(), /tagged field 0 at offset 3 needs 5/);
  const t = reader('0102');
  const end = t.beginTaggedField(1, 1);
  t.int16();
  throwsDecode(() => t.endTaggedField(1, end), /tagged field 1: its value ends at 2, not at 1/);
  throwsDecode(
    () => reader('00').beginTaggedField(3, 2),
    /tagged field 3 declares 2 bytes but only 1 remain/,
  );
});

test('a window over part of a buffer reads only that part', () => {
  const r = new Reader(hex('ffff 0001 ffff'), 2, 4);
  assert.equal(r.offset, 2);
  assert.equal(r.remaining, 2);
  assert.equal(r.int16(), 1);
  throwsDecode(() => r.int8(), /truncated: reading int8 at offset 4 needs 1 byte\(s\), 0 remain/);
  assert.throws(() => new Reader(Buffer.alloc(2), 0, 3), RangeError);
  throwsDecode(() => new Reader(Buffer.alloc(2)).rawBytes(-1), /cannot read -1 bytes/);
  throwsDecode(() => new Reader(Buffer.alloc(2)).skip(-1), /cannot skip -1 bytes/);
});

test('every primitive read on an empty buffer is a ProtocolDecodeError, never a RangeError', () => {
  const reads: ((r: Reader) => unknown)[] = [
    (r) => r.int8(),
    (r) => r.uint8(),
    (r) => r.bool(),
    (r) => r.int16(),
    (r) => r.uint16(),
    (r) => r.int32(),
    (r) => r.uint32(),
    (r) => r.int64(),
    (r) => r.float64(),
    (r) => r.uvarint(),
    (r) => r.uvarlong(),
    (r) => r.varint(),
    (r) => r.varlong(),
    (r) => r.uuid(),
    (r) => r.string(),
    (r) => r.nullableString(),
    (r) => r.compactString(),
    (r) => r.compactNullableString(),
    (r) => r.bytes(),
    (r) => r.nullableBytes(),
    (r) => r.compactBytes(),
    (r) => r.compactNullableBytes(),
    (r) => r.arrayLength(),
    (r) => r.compactArrayLength(),
    (r) => r.tagCount(),
    (r) => r.unknownTags(),
    (r) => r.rawBytes(1),
    (r) => r.skip(1),
  ];
  for (const read of reads) throwsDecode(() => read(new Reader(Buffer.alloc(0))), /truncated/);
});
