// Writes Kafka's primitive types into a growable buffer (capacity doubles, so appends are amortised
// O(1)). Values that cannot be represented (an int16 of 40000, a null string where the caller asked
// for a non-nullable one, a malformed UUID, a string over 32767 bytes) throw ProtocolEncodeError
// rather than being truncated into bytes a peer would misread.
//
// A writer made with `referenceFrom` keeps byte fields of at least that size by reference instead of
// copying them (a fetch response is mostly record batches already in memory): the output is then a list
// of chunks, its own bytes between the referenced ones, for one vectored socket write.
import { ProtocolEncodeError } from './encode-error.ts';
import type { UnknownTag } from './reader.ts';

const MAX_STRING_BYTES = 0x7fff;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
/** Strings this short (UTF-16 units) fit in 3 bytes per unit + 1 < 128: their compact prefix is one byte. */
const ONE_BYTE_PREFIX_MAX_UNITS = 42;

/** Nibble value of each ASCII hex digit, -1 for anything else. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  NIBBLE['0123456789abcdef'.charCodeAt(i)] = i;
  NIBBLE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

function outOfRange(type: string, value: unknown): ProtocolEncodeError {
  return new ProtocolEncodeError(`${String(value)} is not a valid ${type}`);
}

function uvarintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

export interface WriterOptions {
  /**
   * Byte fields (and raw bytes) of at least this many bytes are kept by reference, not copied; read
   * the output with toChunks(). The caller must not change such a Buffer until the chunks are written.
   * Below a few KiB a copy is cheaper than one more chunk. Default: never (everything is copied).
   */
  referenceFrom?: number;
}

/** One piece of the output: the writer's own bytes, or a Buffer it was given and kept by reference. */
interface Chunk {
  bytes: Buffer;
  own: boolean;
}

export class Writer {
  #buf: Buffer;
  #pos = 0;
  readonly #referenceFrom: number;
  /** Finished pieces before the current one, which is #buf from #segmentStart to #pos. */
  readonly #chunks: Chunk[] = [];
  #chunkBytes = 0;
  #segmentStart = 0;
  /** Open beginSized sections: bytes inside one are always copied, since endSized may shift them. */
  #sizedDepth = 0;

  constructor(initialCapacity = 256, options: WriterOptions = {}) {
    this.#buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
    this.#referenceFrom = options.referenceFrom ?? Infinity;
  }

  /** Bytes written so far (referenced ones included). */
  get length(): number {
    return this.#chunkBytes + this.#pos - this.#segmentStart;
  }

  /** Position in the whole output of index 0 of #buf (offsets given out are positions in the output). */
  get #origin(): number {
    return this.#chunkBytes - this.#segmentStart;
  }

  /**
   * The bytes written so far, as a view of the internal buffer (no copy). Later writes only append
   * beyond it (growing moves to a new buffer), so the view keeps its content. When bytes were kept by
   * reference, this is a copy of all the chunks.
   */
  toBuffer(): Buffer {
    const current = this.#buf.subarray(this.#segmentStart, this.#pos);
    if (this.#chunks.length === 0) return current;
    return Buffer.concat([...this.#chunks.map((c) => c.bytes), current], this.length);
  }

  /** The output as chunks in order, none empty, without copying: own bytes and referenced Buffers. */
  toChunks(): Buffer[] {
    const chunks = this.#chunks.map((c) => c.bytes);
    if (this.#pos > this.#segmentStart) chunks.push(this.#buf.subarray(this.#segmentStart, this.#pos));
    return chunks;
  }

  /**
   * Makes room for n more bytes. Growing copies only the current piece: earlier ones are views of the old
   * buffer and stay valid.
   */
  #reserve(n: number): void {
    const needed = this.#pos + n;
    if (needed <= this.#buf.length) return;
    const used = this.#pos - this.#segmentStart;
    let capacity = this.#buf.length * 2;
    while (capacity < used + n) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    this.#buf.copy(next, 0, this.#segmentStart, this.#pos);
    this.#buf = next;
    this.#segmentStart = 0;
    this.#pos = used;
  }

  /**
   * Reserves n bytes and returns the offset they start at. May replace #buf: call it before reading
   * this.#buf, never inside an expression that already evaluated it.
   */
  #take(n: number): number {
    this.#reserve(n);
    const p = this.#pos;
    this.#pos = p + n;
    return p;
  }

  /** Ends the current piece, appends `b` by reference, and starts a new piece in the same buffer. */
  #reference(b: Buffer): void {
    if (this.#pos > this.#segmentStart) {
      this.#chunks.push({ bytes: this.#buf.subarray(this.#segmentStart, this.#pos), own: true });
      this.#chunkBytes += this.#pos - this.#segmentStart;
    }
    this.#chunks.push({ bytes: b, own: false });
    this.#chunkBytes += b.length;
    this.#segmentStart = this.#pos;
  }

  int8(v: number): void {
    if ((v << 24) >> 24 !== v) throw outOfRange('int8', v);
    const p = this.#take(1);
    this.#buf[p] = v;
  }

  uint8(v: number): void {
    if ((v & 0xff) !== v) throw outOfRange('uint8', v);
    const p = this.#take(1);
    this.#buf[p] = v;
  }

  bool(v: boolean): void {
    if (typeof v !== 'boolean') throw outOfRange('bool', v);
    const p = this.#take(1);
    this.#buf[p] = v ? 1 : 0;
  }

  int16(v: number): void {
    if ((v << 16) >> 16 !== v) throw outOfRange('int16', v);
    const p = this.#take(2);
    this.#buf[p] = v >> 8;
    this.#buf[p + 1] = v;
  }

  uint16(v: number): void {
    if ((v & 0xffff) !== v) throw outOfRange('uint16', v);
    const p = this.#take(2);
    this.#buf[p] = v >> 8;
    this.#buf[p + 1] = v;
  }

  int32(v: number): void {
    if ((v | 0) !== v) throw outOfRange('int32', v);
    this.#put32(this.#take(4), v);
  }

  uint32(v: number): void {
    if (v >>> 0 !== v) throw outOfRange('uint32', v);
    this.#put32(this.#take(4), v);
  }

  #put32(p: number, v: number): void {
    const b = this.#buf;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
  }

  /**
   * Overwrites 4 bytes already written, e.g. a frame's size prefix once the frame is complete. They must
   * have been written by this writer (not be part of a Buffer kept by reference).
   */
  setInt32(offset: number, v: number): void {
    if (offset < 0 || offset + 4 > this.length)
      throw new RangeError(`setInt32 at ${offset} is outside the written bytes`);
    if ((v | 0) !== v) throw outOfRange('int32', v);
    if (offset >= this.#chunkBytes) {
      this.#put32(offset - this.#origin, v);
      return;
    }
    let start = 0;
    for (const chunk of this.#chunks) {
      const end = start + chunk.bytes.length;
      if (offset < end) {
        if (!chunk.own || offset + 4 > end)
          throw new RangeError(`setInt32 at ${offset} is not inside bytes this writer wrote`);
        chunk.bytes.writeInt32BE(v, offset - start);
        return;
      }
      start = end;
    }
  }

  int64(v: bigint): void {
    if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX) throw outOfRange('int64', v);
    const p = this.#take(8);
    this.#buf.writeBigInt64BE(v, p);
  }

  float64(v: number): void {
    if (typeof v !== 'number') throw outOfRange('float64', v);
    const p = this.#take(8);
    this.#buf.writeDoubleBE(v, p);
  }

  /** Unsigned LEB128, 0 to 2^32-1. */
  uvarint(v: number): void {
    if (v >>> 0 !== v) throw outOfRange('unsigned varint', v);
    this.#reserve(5);
    const b = this.#buf;
    let p = this.#pos;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.#pos = p;
  }

  /** Unsigned LEB128, 0 to 2^64-1. */
  uvarlong(v: bigint): void {
    if (typeof v !== 'bigint' || v < 0n || v > UINT64_MAX) throw outOfRange('unsigned varlong', v);
    this.#reserve(10);
    const b = this.#buf;
    let p = this.#pos;
    while (v >= 0x80n) {
      b[p++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    b[p++] = Number(v);
    this.#pos = p;
  }

  /** Zigzag signed varint (record fields), int32 range. */
  varint(v: number): void {
    if ((v | 0) !== v) throw outOfRange('varint', v);
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zigzag signed varlong (record fields), int64 range. */
  varlong(v: bigint): void {
    if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX) throw outOfRange('varlong', v);
    this.uvarlong(BigInt.asUintN(64, (v << 1n) ^ (v >> 63n)));
  }

  /** A UUID in 8-4-4-4-12 hex form, written as its 16 raw bytes. */
  uuid(s: string): void {
    if (typeof s !== 'string' || s.length !== 36) throw outOfRange('uuid', s);
    const p = this.#take(16);
    let j = 0;
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) {
        if (s.charCodeAt(j++) !== 0x2d) throw outOfRange('uuid', s);
      }
      const hi = NIBBLE[s.charCodeAt(j++)] ?? -1;
      const lo = NIBBLE[s.charCodeAt(j++)] ?? -1;
      if (hi < 0 || lo < 0) throw outOfRange('uuid', s);
      this.#buf[p + i] = (hi << 4) | lo;
    }
  }

  /** Classic string: int16 byte length then UTF-8. */
  string(s: string): void {
    if (typeof s !== 'string') throw new ProtocolEncodeError(`expected a string, got ${String(s)}`);
    if (s.length > MAX_STRING_BYTES) throw tooLong(s.length);
    // One pass: encode straight after room for the prefix (3 bytes per UTF-16 unit at most), then fill it in.
    this.#reserve(2 + s.length * 3);
    const p = this.#pos;
    const n = this.#buf.write(s, p + 2, 'utf8');
    if (n > MAX_STRING_BYTES) throw tooLong(n);
    this.#buf[p] = n >> 8;
    this.#buf[p + 1] = n;
    this.#pos = p + 2 + n;
  }

  nullableString(s: string | null): void {
    if (s === null) this.int16(-1);
    else this.string(s);
  }

  /** Compact string: uvarint (byte length + 1) then UTF-8. */
  compactString(s: string): void {
    if (typeof s !== 'string') throw new ProtocolEncodeError(`expected a string, got ${String(s)}`);
    if (s.length > MAX_STRING_BYTES) throw tooLong(s.length);
    if (s.length <= ONE_BYTE_PREFIX_MAX_UNITS) {
      this.#reserve(1 + s.length * 3);
      const p = this.#pos;
      const n = this.#buf.write(s, p + 1, 'utf8');
      this.#buf[p] = n + 1;
      this.#pos = p + 1 + n;
      return;
    }
    const n = Buffer.byteLength(s, 'utf8');
    if (n > MAX_STRING_BYTES) throw tooLong(n);
    this.uvarint(n + 1);
    const p = this.#take(n);
    this.#buf.write(s, p, n, 'utf8');
  }

  compactNullableString(s: string | null): void {
    if (s === null) this.uvarint(0);
    else this.compactString(s);
  }

  /** Classic bytes: int32 length then the bytes. */
  bytes(b: Uint8Array): void {
    if (!(b instanceof Uint8Array)) throw new ProtocolEncodeError(`expected a Buffer, got ${String(b)}`);
    this.int32(b.length);
    this.raw(b);
  }

  nullableBytes(b: Uint8Array | null): void {
    if (b === null) this.int32(-1);
    else this.bytes(b);
  }

  /** Compact bytes: uvarint (length + 1) then the bytes. */
  compactBytes(b: Uint8Array): void {
    if (!(b instanceof Uint8Array)) throw new ProtocolEncodeError(`expected a Buffer, got ${String(b)}`);
    this.uvarint(b.length + 1);
    this.raw(b);
  }

  compactNullableBytes(b: Uint8Array | null): void {
    if (b === null) this.uvarint(0);
    else this.compactBytes(b);
  }

  /** The bytes as they are, no prefix: one memcpy into the output, or kept by reference (referenceFrom). */
  raw(b: Uint8Array): void {
    if (b.length >= this.#referenceFrom && this.#sizedDepth === 0 && Buffer.isBuffer(b)) {
      this.#reference(b);
      return;
    }
    const p = this.#take(b.length);
    this.#buf.set(b, p);
  }

  /** Classic array length: int32 count, or -1 for a null array. */
  arrayLength(count: number): void {
    this.int32(count);
  }

  /** Compact array length: uvarint (count + 1), or 0 for a null array (pass -1). */
  compactArrayLength(count: number): void {
    this.uvarint(count + 1);
  }

  /**
   * Starts a value whose uvarint byte size precedes it (a tagged field). Returns a mark for endSized.
   * One byte is reserved for the size; a value of 128 bytes or more is shifted right once at the end.
   */
  beginSized(): number {
    this.#sizedDepth++;
    return this.#take(1) + this.#origin;
  }

  endSized(mark: number): void {
    this.#sizedDepth--;
    // Nothing is referenced while a section is open, so the whole section is in the current piece.
    const at = mark - this.#origin;
    const size = this.#pos - at - 1;
    if (size < 0x80) {
      this.#buf[at] = size;
      return;
    }
    const extra = uvarintSize(size) - 1;
    this.#reserve(extra);
    const start = mark - this.#origin; // #reserve may have moved the piece
    this.#buf.copyWithin(start + 1 + extra, start + 1, this.#pos);
    const end = this.#pos + extra;
    this.#pos = start;
    this.uvarint(size);
    this.#pos = end;
  }

  /** One tagged field given as raw bytes: tag, size, data. */
  rawTaggedField(t: UnknownTag): void {
    this.uvarint(t.tag);
    this.uvarint(t.data.length);
    this.raw(t.data);
  }

  /** A tagged-field section holding only unknown (raw) tags, in ascending tag order. */
  unknownTags(tags: readonly UnknownTag[] | undefined): void {
    if (tags === undefined || tags.length === 0) {
      this.uvarint(0);
      return;
    }
    const sorted = sortTags(tags);
    this.uvarint(sorted.length);
    for (const t of sorted) this.rawTaggedField(t);
  }
}

function tooLong(bytes: number): ProtocolEncodeError {
  return new ProtocolEncodeError(
    `string of ${bytes} bytes is longer than the ${MAX_STRING_BYTES} a string may hold`,
  );
}

/** Tags in ascending order, without copying when they already are (the usual case). */
export function sortTags(tags: readonly UnknownTag[]): readonly UnknownTag[] {
  for (let i = 1; i < tags.length; i++) {
    if (tags[i].tag < tags[i - 1].tag) return [...tags].sort((a, b) => a.tag - b.tag);
  }
  return tags;
}
