// Bounds-checked reads of Kafka's primitive types from one Buffer. Every failure is a
// ProtocolDecodeError naming what was being read, where, and why: bytes come from the network, so a
// short frame, a lying length or an endless varint must never surface as a RangeError, a hang or a
// huge allocation. Lengths and element counts are checked against the bytes that remain before
// anything is allocated (each array element takes at least one byte on the wire).
//
// Byte fields (bytes, records, unknown tagged fields) are returned as subarray views of the input,
// not copies: they share memory with the frame and stay valid only as long as nobody reuses it.
import { ProtocolDecodeError } from './decode-error.ts';

/** A tagged field this decoder has no name for, kept as raw bytes so it can be re-encoded unchanged. */
export interface UnknownTag {
  tag: number;
  data: Buffer;
}

/** Kafka strings are limited to an int16 byte length in both the classic and the compact encoding. */
const MAX_STRING_BYTES = 0x7fff;
/** "string" or "string topics[].name": what a message says was being read. */
function label(kind: string, field: string): string {
  return field === '' ? kind : `${kind} ${field}`;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export class Reader {
  readonly buffer: Buffer;
  #pos: number;
  readonly #end: number;

  constructor(buffer: Buffer, offset = 0, end = buffer.length) {
    if (offset < 0 || end > buffer.length || offset > end) {
      throw new RangeError(`Reader window ${offset}-${end} is outside a buffer of ${buffer.length} bytes`);
    }
    this.buffer = buffer;
    this.#pos = offset;
    this.#end = end;
  }

  /** Offset of the next byte to read, relative to the start of the buffer. */
  get offset(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#end - this.#pos;
  }

  /**
   * Advances past n bytes and returns the offset they start at. The description (kind and field) is
   * only assembled into a string when the read fails, so successful reads allocate nothing.
   */
  #take(n: number, kind: string, field = ''): number {
    const p = this.#pos;
    if (n > this.#end - p) {
      throw new ProtocolDecodeError(
        `truncated: reading ${label(kind, field)} at offset ${p} needs ${n} byte(s), ${this.#end - p} remain`,
        p,
      );
    }
    this.#pos = p + n;
    return p;
  }

  /** The uvarint length prefix of a compact string, bytes or array. */
  #compactLength(kind: string, field: string): number {
    const p = this.#pos;
    if (p < this.#end && this.buffer[p] < 0x80) {
      this.#pos = p + 1;
      return this.buffer[p];
    }
    return this.#uvarintSlow(`length of ${kind}`, field);
  }

  #fail(message: string, offset: number): ProtocolDecodeError {
    return new ProtocolDecodeError(`${message} (at offset ${offset})`, offset);
  }

  int8(): number {
    const p = this.#take(1, 'int8');
    return (this.buffer[p] << 24) >> 24;
  }

  uint8(): number {
    return this.buffer[this.#take(1, 'uint8')];
  }

  bool(): boolean {
    return this.buffer[this.#take(1, 'bool')] !== 0;
  }

  int16(): number {
    const b = this.buffer;
    const p = this.#take(2, 'int16');
    return (((b[p] << 8) | b[p + 1]) << 16) >> 16;
  }

  uint16(): number {
    const b = this.buffer;
    const p = this.#take(2, 'uint16');
    return (b[p] << 8) | b[p + 1];
  }

  int32(): number {
    const b = this.buffer;
    const p = this.#take(4, 'int32');
    return (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
  }

  uint32(): number {
    return this.int32() >>> 0;
  }

  int64(): bigint {
    return this.buffer.readBigInt64BE(this.#take(8, 'int64'));
  }

  float64(): number {
    return this.buffer.readDoubleBE(this.#take(8, 'float64'));
  }

  /** Unsigned LEB128 of at most 5 bytes and 32 bits (compact lengths, tags, tag sizes). */
  uvarint(what = 'unsigned varint'): number {
    // Fast path: almost every length and tag count on the wire fits in one byte.
    const p = this.#pos;
    if (p < this.#end && this.buffer[p] < 0x80) {
      this.#pos = p + 1;
      return this.buffer[p];
    }
    return this.#uvarintSlow(what, '');
  }

  /** Multi-byte uvarint; what was being read (kind and field) is spelled out only on failure. */
  #uvarintSlow(kind: string, field: string): number {
    const b = this.buffer;
    const start = this.#pos;
    const end = this.#end;
    let p = start;
    let result = 0;
    // Bytes 1-4 carry bits 0-27 and fit a small integer; the 5th may add 4 more (up to 2^32 - 1).
    for (let shift = 0; shift < 28; shift += 7) {
      if (p >= end) throw this.#truncatedVarint(kind, field, start, p);
      const byte = b[p++];
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.#pos = p;
        return result;
      }
    }
    if (p >= end) throw this.#truncatedVarint(kind, field, start, p);
    const last = b[p++];
    if (last > 0x0f) {
      const why = last < 0x80 ? 'does not fit in 32 bits' : 'is longer than 5 bytes';
      throw this.#fail(`${label(kind, field)} ${why}`, start);
    }
    this.#pos = p;
    return result + last * 0x10000000;
  }

  #truncatedVarint(kind: string, field: string, start: number, p: number): ProtocolDecodeError {
    return new ProtocolDecodeError(
      `truncated: ${label(kind, field)} starting at offset ${start} ends after ${p - start} byte(s)`,
      start,
    );
  }

  /** Unsigned LEB128 of at most 10 bytes and 64 bits. */
  uvarlong(what = 'unsigned varlong'): bigint {
    const b = this.buffer;
    const start = this.#pos;
    let p = start;
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      if (p >= this.#end) {
        throw new ProtocolDecodeError(
          `truncated: ${what} starting at offset ${start} ends after ${p - start} byte(s)`,
          start,
        );
      }
      const byte = b[p++];
      if (i === 9 && byte > 0x01) throw this.#fail(`${what} does not fit in 64 bits`, start);
      result |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if (byte < 0x80) {
        this.#pos = p;
        return result;
      }
    }
    throw this.#fail(`${what} is longer than 10 bytes`, start);
  }

  /** Zigzag-encoded signed varint (record fields), 32 bits. */
  varint(): number {
    const u = this.uvarint('varint');
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zigzag-encoded signed varlong (record fields), 64 bits. */
  varlong(): bigint {
    const u = this.uvarlong('varlong');
    return (u >> 1n) ^ -(u & 1n);
  }

  /** 16 raw bytes, returned in the canonical lowercase 8-4-4-4-12 form. */
  uuid(): string {
    const b = this.buffer;
    const p = this.#take(16, 'uuid');
    let s = '';
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
      s += HEX[b[p + i]];
    }
    return s;
  }

  #utf8(length: number, kind: string, field: string, lengthAt: number): string {
    if (length > MAX_STRING_BYTES) {
      throw this.#fail(
        `${label(kind, field)} declares ${length} bytes, more than the ${MAX_STRING_BYTES} a string may hold`,
        lengthAt,
      );
    }
    const p = this.#take(length, kind, field);
    return this.buffer.toString('utf8', p, p + length);
  }

  /** Classic string: int16 length then UTF-8. A null (-1) is an error here. */
  string(field = ''): string {
    const at = this.#pos;
    const s = this.nullableString(field);
    if (s === null) throw this.#fail(`non-nullable ${label('string', field)} is null`, at);
    return s;
  }

  nullableString(field = ''): string | null {
    const at = this.#pos;
    const length = this.int16();
    if (length < 0) {
      if (length === -1) return null;
      throw this.#fail(`${label('string', field)} has negative length ${length}`, at);
    }
    return this.#utf8(length, 'string', field, at);
  }

  /** Compact string: uvarint (length + 1) then UTF-8. A null (0) is an error here. */
  compactString(field = ''): string {
    const at = this.#pos;
    const s = this.compactNullableString(field);
    if (s === null) throw this.#fail(`non-nullable ${label('compact string', field)} is null`, at);
    return s;
  }

  compactNullableString(field = ''): string | null {
    const at = this.#pos;
    const n = this.#compactLength('compact string', field);
    if (n === 0) return null;
    return this.#utf8(n - 1, 'compact string', field, at);
  }

  /** Classic bytes: int32 length then the bytes, as a view (no copy). A null (-1) is an error here. */
  bytes(field = ''): Buffer {
    const at = this.#pos;
    const b = this.nullableBytes(field);
    if (b === null) throw this.#fail(`non-nullable ${label('bytes', field)} are null`, at);
    return b;
  }

  nullableBytes(field = ''): Buffer | null {
    const at = this.#pos;
    const length = this.int32();
    if (length < 0) {
      if (length === -1) return null;
      throw this.#fail(`${label('bytes', field)} have negative length ${length}`, at);
    }
    const p = this.#take(length, 'bytes', field);
    return this.buffer.subarray(p, p + length);
  }

  /** Compact bytes: uvarint (length + 1) then the bytes, as a view (no copy). A null (0) is an error. */
  compactBytes(field = ''): Buffer {
    const at = this.#pos;
    const b = this.compactNullableBytes(field);
    if (b === null) throw this.#fail(`non-nullable ${label('compact bytes', field)} are null`, at);
    return b;
  }

  compactNullableBytes(field = ''): Buffer | null {
    const n = this.#compactLength('compact bytes', field);
    if (n === 0) return null;
    const p = this.#take(n - 1, 'compact bytes', field);
    return this.buffer.subarray(p, p + n - 1);
  }

  /** The next n bytes as a view (no copy). */
  rawBytes(n: number, what = 'raw bytes'): Buffer {
    if (!(n >= 0)) throw this.#fail(`${what}: cannot read ${n} bytes`, this.#pos);
    const p = this.#take(n, what);
    return this.buffer.subarray(p, p + n);
  }

  skip(n: number): void {
    if (!(n >= 0)) throw this.#fail(`cannot skip ${n} bytes`, this.#pos);
    this.#take(n, 'skipped bytes');
  }

  #checkCount(count: number, kind: string, field: string, at: number): number {
    if (count > this.#end - this.#pos) {
      throw this.#fail(
        `${label(kind, field)} declares ${count} elements but only ${this.#end - this.#pos} bytes remain`,
        at,
      );
    }
    return count;
  }

  /** Classic array length: int32, -1 for null (returned as -1); any other negative is an error. */
  arrayLength(field = ''): number {
    const at = this.#pos;
    const n = this.int32();
    if (n < 0) {
      if (n === -1) return -1;
      throw this.#fail(`${label('array', field)} has negative length ${n}`, at);
    }
    return this.#checkCount(n, 'array', field, at);
  }

  /** Compact array length: uvarint (count + 1), 0 for null (returned as -1). */
  compactArrayLength(field = ''): number {
    const at = this.#pos;
    const n = this.#compactLength('compact array', field);
    if (n === 0) return -1;
    return this.#checkCount(n - 1, 'compact array', field, at);
  }

  /** Number of fields in a tagged-field section; each takes at least 2 bytes (tag and size). */
  tagCount(): number {
    const at = this.#pos;
    const n = this.uvarint('tagged field count');
    if (n * 2 > this.#end - this.#pos) {
      throw this.#fail(
        `tagged field section declares ${n} fields but only ${this.#end - this.#pos} bytes remain`,
        at,
      );
    }
    return n;
  }

  /**
   * Checks a tagged field's declared size against what remains and returns the offset where its value
   * must end; pass that to endTaggedField after decoding the value.
   */
  beginTaggedField(tag: number, size: number): number {
    if (size > this.#end - this.#pos) {
      throw this.#fail(
        `tagged field ${tag} declares ${size} bytes but only ${this.#end - this.#pos} remain`,
        this.#pos,
      );
    }
    return this.#pos + size;
  }

  endTaggedField(tag: number, end: number): void {
    if (this.#pos !== end) {
      throw this.#fail(
        `tagged field ${tag}: its value ends at ${this.#pos}, not at ${end} as its size said`,
        end,
      );
    }
  }

  /** A whole tagged-field section read as unknown tags: undefined when empty. */
  unknownTags(): UnknownTag[] | undefined {
    // Fast path: an empty section, the usual case, is a single 0x00.
    if (this.#pos < this.#end && this.buffer[this.#pos] === 0) {
      this.#pos++;
      return undefined;
    }
    const n = this.tagCount();
    if (n === 0) return undefined;
    const tags: UnknownTag[] = [];
    for (let i = 0; i < n; i++) {
      const tag = this.uvarint('tag');
      const size = this.uvarint('tagged field size');
      tags.push({ tag, data: this.rawBytes(size, `tagged field ${tag}`) });
    }
    return tags;
  }
}
