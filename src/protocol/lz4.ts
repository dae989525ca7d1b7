// LZ4 frame format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md) as Kafka uses it for
// record batch v2 (KIP-57). Hand-written because the small pure-JS packages either link blocks across
// the whole input (Java's Lz4BlockInputStream decompresses each block on its own, so it cannot read
// that) or do no bounds checking when decoding.
//
// Writer: what Java's Lz4BlockOutputStream writes — version 01, independent blocks, 64 KiB maximum
// block size, no content size, no checksums, a correct descriptor checksum (Java verifies it for
// magic >= 1). Reader: any frame librdkafka or Java may write — content size, block and content
// checksums (verified), linked or independent blocks, every block size; dictionary ids are refused.
import { CompressionError } from './compression-errors.ts';
import { xxhash32 } from './xxhash32.ts';

const MAGIC = 0x184d2204;
const BLOCK_SIZE = 64 * 1024;
const BD_64K = 4 << 4;
const FLG_VERSION = 0x40;
const FLG_BLOCK_INDEPENDENT = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICT_ID = 0x01;
const UNCOMPRESSED_BIT = 0x80000000;
const MIN_MATCH = 4;
const MF_LIMIT = 12; // a match must start at least 12 bytes before the end of a block
const LAST_LITERALS = 5; // and the last 5 bytes of a block are always literals
const HASH_LOG = 14;

const corrupt = (msg: string): CompressionError => new CompressionError('lz4', 'corrupt', msg);
const u32le = (b: Uint8Array, i: number): number =>
  b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);

function writeLength(dst: Buffer, d: number, n: number): number {
  for (; n >= 255; n -= 255) dst[d++] = 255;
  dst[d++] = n;
  return d;
}

function writeSequence(
  dst: Buffer,
  d: number,
  src: Buffer,
  litStart: number,
  litEnd: number,
  offset: number,
  matchLen: number,
): number {
  const lit = litEnd - litStart;
  const ml = matchLen - MIN_MATCH;
  const tokenPos = d++;
  dst[tokenPos] = (Math.min(lit, 15) << 4) | Math.min(ml < 0 ? 0 : ml, 15);
  if (lit >= 15) d = writeLength(dst, d, lit - 15);
  src.copy(dst, d, litStart, litEnd);
  d += lit;
  if (matchLen === 0) return d; // final literals-only sequence
  dst[d++] = offset & 0xff;
  dst[d++] = offset >>> 8;
  if (ml >= 15) d = writeLength(dst, d, ml - 15);
  return d;
}

/** Greedy single-pass LZ4 block compressor for src[start, end); returns the new write position in dst. */
function compressBlock(
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
  const mfLimit = end - MF_LIMIT;
  const matchLimit = end - LAST_LITERALS;
  while (ip <= mfLimit) {
    const seq = u32le(src, ip);
    const h = Math.imul(seq, 2654435761) >>> (32 - HASH_LOG);
    const ref = table[h];
    table[h] = ip;
    if (ref >= start && ip - ref <= 0xffff && u32le(src, ref) === seq) {
      let len = MIN_MATCH;
      while (ip + len < matchLimit && src[ref + len] === src[ip + len]) len++;
      d = writeSequence(dst, d, src, anchor, ip, ip - ref, len);
      ip += len;
      anchor = ip;
    } else {
      ip += 1 + ((ip - anchor) >>> 6); // skip faster through incompressible data
    }
  }
  return writeSequence(dst, d, src, anchor, end, 0, 0);
}

/** Compresses `input` into one LZ4 frame with independent 64 KiB blocks. */
export function lz4CompressFrame(input: Buffer): Buffer {
  const blocks = Math.ceil(input.length / BLOCK_SIZE);
  const out = Buffer.allocUnsafe(7 + 4 + blocks * (4 + BLOCK_SIZE + BLOCK_SIZE / 255 + 16));
  out.writeUInt32LE(MAGIC, 0);
  out[4] = FLG_VERSION | FLG_BLOCK_INDEPENDENT;
  out[5] = BD_64K;
  out[6] = (xxhash32(out, 4, 6) >>> 8) & 0xff;
  let d = 7;
  const table = new Int32Array(1 << HASH_LOG);
  const scratch = Buffer.allocUnsafe(BLOCK_SIZE + BLOCK_SIZE / 255 + 16);
  for (let s = 0; s < input.length; s += BLOCK_SIZE) {
    const e = Math.min(s + BLOCK_SIZE, input.length);
    const n = compressBlock(input, s, e, scratch, 0, table);
    if (n < e - s) {
      out.writeUInt32LE(n, d);
      scratch.copy(out, d + 4, 0, n);
      d += 4 + n;
    } else {
      out.writeUInt32LE((UNCOMPRESSED_BIT | (e - s)) >>> 0, d);
      input.copy(out, d + 4, s, e);
      d += 4 + (e - s);
    }
  }
  out.writeUInt32LE(0, d); // EndMark
  return out.subarray(0, d + 4);
}

/** Decodes one LZ4 block src[ip, end) into out at op; refuses to write at or past `limit`. */
function decompressBlock(
  src: Buffer,
  ip: number,
  end: number,
  out: Buffer,
  op: number,
  limit: number,
): number {
  while (ip < end) {
    const token = src[ip++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= end) throw corrupt('literal length runs past the block');
        b = src[ip++];
        lit += b;
      } while (b === 255);
    }
    if (lit > end - ip) throw corrupt('literals run past the block');
    if (lit > limit - op) return -1;
    src.copy(out, op, ip, ip + lit);
    ip += lit;
    op += lit;
    if (ip === end) return op; // the last sequence carries literals only
    if (end - ip < 2) throw corrupt('truncated match offset');
    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw corrupt(`match offset ${offset} points before the output`);
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (ip >= end) throw corrupt('match length runs past the block');
        b = src[ip++];
        len += b;
      } while (b === 255);
    }
    len += MIN_MATCH;
    if (len > limit - op) return -1;
    if (offset >= len) {
      out.copyWithin(op, op - offset, op - offset + len);
      op += len;
    } else {
      for (let from = op - offset, stop = op + len; op < stop;) out[op++] = out[from++];
    }
  }
  throw corrupt('block ends with a match instead of literals');
}

const BLOCK_MAX: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };

/** Decodes a complete LZ4 frame (one frame, nothing after it); the output may not exceed maxBytes. */
export function lz4DecompressFrame(src: Buffer, maxBytes: number): Buffer {
  if (src.length < 7) throw corrupt('frame shorter than its header');
  if (src.readUInt32LE(0) !== MAGIC) throw corrupt('bad frame magic');
  const flg = src[4];
  const bd = src[5];
  if ((flg & 0xc0) !== FLG_VERSION) throw corrupt(`unsupported frame version ${flg >>> 6}`);
  if (flg & 0x02 || bd & 0x8f) throw corrupt('reserved descriptor bits set');
  if (flg & FLG_DICT_ID) throw corrupt('frames with a dictionary id are not supported');
  const blockMax = BLOCK_MAX[(bd >>> 4) & 7];
  if (blockMax === undefined) throw corrupt(`invalid block maximum size id ${(bd >>> 4) & 7}`);
  let ip = 6;
  let contentSize = -1;
  if (flg & FLG_CONTENT_SIZE) {
    if (src.length < 15) throw corrupt('truncated content size');
    const size = src.readBigUInt64LE(6);
    if (size > BigInt(maxBytes))
      throw new CompressionError('lz4', 'too-large', `content size ${size} exceeds ${maxBytes}`);
    contentSize = Number(size);
    ip += 8;
  }
  if (src[ip] !== ((xxhash32(src, 4, ip) >>> 8) & 0xff)) throw corrupt('frame descriptor checksum mismatch');
  ip++;
  let out = Buffer.allocUnsafe(Math.min(contentSize >= 0 ? contentSize : blockMax, maxBytes));
  let op = 0;
  for (;;) {
    if (src.length - ip < 4) throw corrupt('truncated block header');
    const word = src.readUInt32LE(ip);
    ip += 4;
    if (word === 0) break; // EndMark
    const size = word & 0x7fffffff;
    if (size > blockMax) throw corrupt(`block of ${size} bytes exceeds the frame maximum ${blockMax}`);
    const needed = size + (flg & FLG_BLOCK_CHECKSUM ? 4 : 0);
    if (src.length - ip < needed) throw corrupt('truncated block');
    if (flg & FLG_BLOCK_CHECKSUM && xxhash32(src, ip, ip + size) !== src.readUInt32LE(ip + size)) {
      throw corrupt('block checksum mismatch');
    }
    // Grow the output (doubling, never beyond maxBytes) so that a whole block always fits.
    const want = Math.min(op + blockMax, maxBytes);
    if (out.length < want) {
      const grown = Buffer.allocUnsafe(Math.min(Math.max(want, out.length * 2), maxBytes));
      out.copy(grown, 0, 0, op);
      out = grown;
    }
    const limit = Math.min(op + blockMax, out.length);
    let next: number;
    if (word & UNCOMPRESSED_BIT) {
      next = size > limit - op ? -1 : op + src.copy(out, op, ip, ip + size);
    } else {
      next = decompressBlock(src, ip, ip + size, out, op, limit);
    }
    if (next < 0) {
      if (limit >= maxBytes)
        throw new CompressionError('lz4', 'too-large', `output exceeds ${maxBytes} bytes`);
      throw corrupt(`block decompresses past the frame maximum block size ${blockMax}`);
    }
    op = next;
    ip += needed;
  }
  if (flg & FLG_CONTENT_CHECKSUM) {
    if (src.length - ip < 4) throw corrupt('truncated content checksum');
    if (xxhash32(out, 0, op) !== src.readUInt32LE(ip)) throw corrupt('content checksum mismatch');
    ip += 4;
  }
  if (contentSize >= 0 && op !== contentSize)
    throw corrupt(`content size ${contentSize} but ${op} bytes decoded`);
  if (ip !== src.length) throw corrupt(`${src.length - ip} bytes after the end of the frame`);
  return out.subarray(0, op);
}
