import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, FrameTooLargeError } from '../../src/protocol/frame-decoder.ts';

function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length, 0);
  return Buffer.concat([size, payload]);
}

test('frames split at every byte boundary and coalesced come out whole and in order', () => {
  const payloads = [
    Buffer.from('first frame'),
    Buffer.alloc(0),
    Buffer.from('x'.repeat(300)),
    Buffer.from('last'),
  ];
  const stream = Buffer.concat(payloads.map(frame));
  for (let cut = 0; cut <= stream.length; cut++) {
    const decoder = new FrameDecoder(1024);
    const out = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
    assert.deepEqual(out, payloads, `cut at ${cut}`);
    assert.equal(decoder.bufferedBytes, 0);
  }
});

test('a stream fed one byte at a time yields the same frames', () => {
  const payloads = Array.from({ length: 20 }, (_, i) => Buffer.alloc(i * 7, i));
  const stream = Buffer.concat(payloads.map(frame));
  const decoder = new FrameDecoder(1024);
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) out.push(...decoder.push(stream.subarray(i, i + 1)));
  assert.deepEqual(out, payloads);
});

test('an oversize size prefix is refused before the frame arrives', () => {
  const decoder = new FrameDecoder(100);
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(101, 0);
  assert.throws(() => decoder.push(prefix), FrameTooLargeError);
  const huge = Buffer.from([0x7f, 0xff, 0xff, 0xff]);
  assert.throws(() => new FrameDecoder(100 * 1024 * 1024).push(huge), /exceeds the limit of 104857600 bytes/);
});

test('a negative size prefix is refused', () => {
  assert.throws(() => new FrameDecoder(100).push(Buffer.from([0xff, 0xff, 0xff, 0xfe])), /negative/);
});

test('a partial frame stays buffered until the rest arrives', () => {
  const decoder = new FrameDecoder(100);
  const whole = frame(Buffer.from('abcdef'));
  assert.deepEqual(decoder.push(whole.subarray(0, 7)), []);
  assert.equal(decoder.bufferedBytes, 3);
  assert.deepEqual(decoder.push(whole.subarray(7)), [Buffer.from('abcdef')]);
});

test('a frame spanning chunks is assembled in the buffer the allocator gives; one within a chunk is a view', () => {
  const given: Buffer[] = [];
  const decoder = new FrameDecoder(1024, (n) => {
    const b = Buffer.alloc(n, 0xee);
    given.push(b);
    return b;
  });
  const spanning = frame(Buffer.from('split across two chunks'));
  const [a] = [...decoder.push(spanning.subarray(0, 10)), ...decoder.push(spanning.subarray(10))];
  assert.equal(a.toString(), 'split across two chunks');
  assert.equal(given.length, 1, 'the size prefix split across chunks is not taken from the allocator');
  assert.equal(a.buffer, given[0].buffer);
  const whole = frame(Buffer.from('in one chunk'));
  const [b] = decoder.push(whole);
  assert.equal(b.toString(), 'in one chunk');
  assert.equal(b.buffer, whole.buffer);
  assert.equal(given.length, 1);
});
