// Snappy (https://github.com/google/snappy/blob/main/format_description.txt) as Kafka uses it.
// Java clients and the Kafka broker write snappy-java's "xerial" framing (an 8-byte magic, two int32
// versions, then [int32 BE length][raw snappy block] chunks); librdkafka writes one raw block and
// reads both; snappy-java, librdkafka, kafkajs-snappy and @platformatic/kafka all read both.
// We write xerial framing (what every Kafka reader has to accept because the Java producer writes
// it) and read both. Hand-written so that decoding is strictly bounds-checked and never allocates
// more than the caller's limit (snappyjs, the usual pure-JS choice, accepts negative copy offsets).
import { CompressionError } from './compression-errors.ts';

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const XERIAL_CHUNK = 32 * 1024; // snappy-java's default block size, which Kafka uses
const FRAGMENT = 64 * 1024; // copies never reach further back than one 64 KiB fragment
const HASH_LOG = 14;
const INPUT_MARGIN = 15;

const corrupt = (msg: string): CompressionError => new CompressionError('snappy', 'corrupt', msg);
const u32le = (b: Uint8Array, i: number): number =>
  b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);

function emitLiteral(dst: Buffer, d: number, src: Buffer, start: number, end: number): number {
  const n = end - start - 1;
  if (n < 60) {
    dst[d++] = n << 2;
  } else {
    const bytes = n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4;
    dst[d++] = (59 + bytes) << 2;
    for (let i = 0; i < bytes; i++) dst[d++] = (n >>> (8 * i)) & 0xff;
  }
  return d + src.copy(dst, d, start, end);
}

function emitCopy(dst: Buffer, d: number, offset: number, len: number): number {
  // Copies of 4..11 bytes within 2 KiB fit the 2-byte form; anything else uses 3-byte forms of <= 64.
  while (len >= 68) {
    dst[d++] = (63 << 2) | 2;
    dst[d++] = offset & 0xff;
    dst[d++] = offset >>> 8;
    len -= 64;
  }
  if (len > 64) {
    dst[d++] = (59 << 2) | 2;
    dst[d++] = offset & 0xff;
    dst[d++] = offset >>> 8;
    len -= 60;
  }
  if (len < 12 && offset < 2048) {
    dst[d++] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5);
    dst[d++] = offset & 0xff;
  } else {
    dst[d++] = 2 | ((len - 1) << 2);
    dst[d++] = offset & 0xff;
    dst[d++] = offset >>> 8;
  }
  return d;
}

function compressFragment(
  src: Buffer,
  start: number,
  end: number,
  dst: Buffer,
  d: number,
  table: Int32Array,
): number {
  table.fill(-1);
  let anchor = start;
  let ip = start;
  const ipLimit = end - INPUT_MARGIN;
  while (ip <= ipLimit) {
    const seq = u32le(src, ip);
    const h = Math.imul(seq, 0x1e35a7bd) >>> (32 - HASH_LOG);
    const ref = table[h];
    table[h] = ip;
    if (ref >= start && u32le(src, ref) === seq) {
      let len = 4;
      while (ip + len < end && src[ref + len] === src[ip + len]) len++;
      if (ip > anchor) d = emitLiteral(dst, d, src, anchor, ip);
      d = emitCopy(dst, d, ip - ref, len);
      ip += len;
      anchor = ip;
    } else {
      ip += 1 + ((ip - anchor) >>> 5); // skip faster through incompressible data
    }
  }
  return anchor < end ? emitLiteral(dst, d, src, anchor, end) : d;
}

/** Compresses `input` as one raw snappy block (no framing). */
export function snappyCompressRaw(input: Buffer): Buffer {
  const dst = Buffer.allocUnsafe(32 + input.length + Math.ceil(input.length / 6));
  let d = 0;
  let n = input.length;
  for (; n >= 0x80; n >>>= 7) dst[d++] = (n & 0x7f) | 0x80;
  dst[d++] = n;
  const table = new Int32Array(1 << HASH_LOG);
  for (let s = 0; s < input.length; s += FRAGMENT) {
    d = compressFragment(input, s, Math.min(s + FRAGMENT, input.length), dst, d, table);
  }
  return dst.subarray(0, d);
}

/** Compresses `input` with snappy-java's xerial framing, as the Java producer does. */
export function snappyCompressXerial(input: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])];
  // Always at least one chunk: librdkafka takes a stream of 20 bytes or fewer for raw snappy.
  let s = 0;
  do {
    const chunk = snappyCompressRaw(input.subarray(s, s + XERIAL_CHUNK));
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(chunk.length);
    parts.push(len, chunk);
    s += XERIAL_CHUNK;
  } while (s < input.length);
  return Buffer.concat(parts);
}

/** Decodes one raw snappy block src[start, end); its declared length may not exceed maxBytes. */
export function snappyDecompressRaw(src: Buffer, maxBytes: number, start = 0, end = src.length): Buffer {
  let ip = start;
  let ulen = 0;
  for (let shift = 0; ; shift += 7) {
    if (ip >= end) throw corrupt('truncated length preamble');
    if (shift > 28) throw corrupt('length preamble longer than 5 bytes');
    const b = src[ip++];
    ulen += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (ulen > 0xffffffff) throw corrupt('length preamble exceeds 32 bits');
  if (ulen > maxBytes)
    throw new CompressionError('snappy', 'too-large', `declared length ${ulen} exceeds ${maxBytes}`);
  const out = Buffer.allocUnsafe(ulen);
  let op = 0;
  while (ip < end) {
    const tag = src[ip++];
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const bytes = len - 59;
        if (end - ip < bytes) throw corrupt('truncated literal length');
        len = 0;
        for (let i = bytes - 1; i >= 0; i--) len = len * 256 + src[ip + i];
        ip += bytes;
      }
      len += 1;
      if (len > end - ip) throw corrupt('literal runs past the input');
      if (len > ulen - op) throw corrupt('literal runs past the declared length');
      op += src.copy(out, op, ip, ip + len);
      ip += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (ip >= end) throw corrupt('truncated copy');
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[ip++];
    } else if (kind === 2) {
      if (end - ip < 2) throw corrupt('truncated copy');
      len = (tag >>> 2) + 1;
      offset = src[ip] | (src[ip + 1] << 8);
      ip += 2;
    } else {
      if (end - ip < 4) throw corrupt('truncated copy');
      len = (tag >>> 2) + 1;
      offset = u32le(src, ip) >>> 0;
      ip += 4;
    }
    if (offset === 0 || offset > op) throw corrupt(`copy offset ${offset} points before the output`);
    if (len > ulen - op) throw corrupt('copy runs past the declared length');
    if (offset >= len) {
      out.copyWithin(op, op - offset, op - offset + len);
      op += len;
    } else {
      for (let from = op - offset, stop = op + len; op < stop;) out[op++] = out[from++];
    }
  }
  if (op !== ulen) throw corrupt(`declared length ${ulen} but ${op} bytes decoded`);
  return out;
}

/** Decodes xerial-framed or raw snappy; the output may not exceed maxBytes. */
export function snappyDecompress(src: Buffer, maxBytes: number): Buffer {
  if (src.length < XERIAL_HEADER_SIZE || !src.subarray(0, 8).equals(XERIAL_MAGIC)) {
    return snappyDecompressRaw(src, maxBytes);
  }
  const parts: Buffer[] = [];
  let total = 0;
  let ip = XERIAL_HEADER_SIZE;
  while (ip < src.length) {
    if (src.length - ip < 4) throw corrupt('truncated xerial chunk length');
    const len = src.readUInt32BE(ip);
    ip += 4;
    if (len > src.length - ip) throw corrupt('xerial chunk runs past the input');
    const part = snappyDecompressRaw(src, maxBytes - total, ip, ip + len);
    total += part.length;
    parts.push(part);
    ip += len;
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
}
