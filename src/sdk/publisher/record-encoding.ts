// (TypedArray.set rather than Buffer.copy: for the short copies of a record it costs a fraction.)
// The two shapes of record the publisher takes, and their Kafka record v2 encoding (docs in
// src/protocol/records.ts). Sizes are computed exactly before anything is written, so a batch knows what a
// record costs it; every varint here is zigzag-signed.
// Buffer from its module: the global `Buffer` is a getter on globalThis, called on every use in hot code.
import { Buffer } from 'node:buffer';
import type { BufferedRecord } from './store.ts';

/**
 * A record given as text, for callers that build many records of one shape (telemetry's envelopes): the
 * key and value are written as UTF-8 straight into the batch, the headers are encoded once up front
 * (prepareHeaders) and only the last header's value varies per record (e.g. a sequence number).
 */
export interface PreparedRecord {
  key: string;
  value: string | ValueWriter;
  headers: PreparedHeaders;
  /** A number is written as its decimal digits (a sequence number, without making a string of it). */
  lastHeaderValue: string | number;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

/**
 * A value that writes itself into the batch in pieces (telemetry's envelope: constant bytes around a few
 * strings), so that no string of the whole value is built, flattened and measured per record.
 */
export interface ValueWriter {
  /** The exact number of bytes writeTo writes. */
  readonly byteLength: number;
  /** Writes the value at `pos` (the caller made room for byteLength bytes); returns pos + byteLength. */
  writeTo(buf: Buffer, pos: number): number;
}

export interface PreparedHeaders {
  /** Header count, every header but the last, and the last header's key: all encoded. */
  readonly bytes: Buffer;
}

export type AnyRecord = BufferedRecord | PreparedRecord;

export const isPrepared = (r: AnyRecord): r is PreparedRecord => typeof r.key === 'string';

const headerKeys = new Map<string, Buffer>();

/** A header key's UTF-8 bytes, cached: a service uses a handful of header names over and over. */
export function headerKeyBytes(key: string): Buffer {
  let b = headerKeys.get(key);
  if (b === undefined) {
    b = Buffer.from(key, 'utf8');
    if (headerKeys.size >= 1024) headerKeys.clear();
    headerKeys.set(key, b);
  }
  return b;
}

/** Encodes `constant` headers, then `lastKey` (its value comes with each record). */
export function prepareHeaders(constant: Record<string, Buffer>, lastKey: string): PreparedHeaders {
  const parts: Buffer[] = [];
  const names = Object.keys(constant);
  const scratch = Buffer.alloc(10);
  const varint = (n: number): Buffer => Buffer.from(scratch.subarray(0, writeVarint(scratch, 0, n)));
  parts.push(varint(names.length + 1));
  for (const name of names) {
    const k = headerKeyBytes(name);
    parts.push(varint(k.length), k, varint(constant[name].length), constant[name]);
  }
  const last = headerKeyBytes(lastKey);
  parts.push(varint(last.length), last);
  return { bytes: Buffer.concat(parts) };
}

const zigzag32 = (n: number): number => ((n << 1) ^ (n >> 31)) >>> 0;

function zigzag(n: number): number {
  if (n >= -0x40000000 && n < 0x40000000) return zigzag32(n);
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function sizeOfUnsigned(z: number): number {
  if (z < 0x80) return 1;
  if (z < 0x4000) return 2;
  if (z < 0x200000) return 3;
  if (z < 0x10000000) return 4;
  let size = 5;
  for (z = Math.floor(z / 0x800000000); z > 0; z = Math.floor(z / 128)) size++;
  return size;
}

// Most varints of a record are small non-negative lengths and deltas (zigzag 2n): one or two bytes, answered
// before the general path.
export const sizeOfVarint = (n: number): number =>
  n >= 0 && n < 0x40 ? 1 : n >= 0 && n < 0x2000 ? 2 : sizeOfUnsigned(zigzag(n));

export function writeVarint(buf: Buffer, pos: number, n: number): number {
  if (n >= 0 && n < 0x2000) {
    if (n < 0x40) {
      buf[pos] = n << 1;
      return pos + 1;
    }
    buf[pos] = ((n << 1) & 0x7f) | 0x80;
    buf[pos + 1] = n >> 6;
    return pos + 2;
  }
  let z = zigzag(n);
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80;
    z = z < 0x80000000 ? z >>> 7 : Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

/** Node's own string writers (Buffer#write without its argument handling). */
type StringWriters = Buffer & {
  latin1Write(s: string, offset: number, length: number): number;
  utf8Write(s: string, offset: number, length: number): number;
};

/**
 * Writes `s`, whose UTF-8 length is `bytes`; returns the position after it. When that equals its length it
 * is all ASCII, whose UTF-8 and Latin-1 bytes are the same: a very short one is copied here (cheaper than
 * a call into C++), a longer one by the Latin-1 writer, a plain copy, faster than the UTF-8 one.
 */
export function writeString(buf: Buffer, pos: number, s: string, bytes: number): number {
  if (bytes !== s.length) return pos + (buf as StringWriters).utf8Write(s, pos, bytes);
  if (bytes > 8) return pos + (buf as StringWriters).latin1Write(s, pos, bytes);
  for (let i = 0; i < bytes; i++) buf[pos + i] = s.charCodeAt(i);
  return pos + bytes;
}

/** UTF-8 length of `s`: a short ASCII string (a key, say) is looked at here, cheaper than a call into C++. */
export function utf8Length(s: string): number {
  if (s.length > 16) return Buffer.byteLength(s, 'utf8');
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

/** Decimal digits of a non-negative safe integer. */
export function decimalDigits(n: number): number {
  if (n < 100_000) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10_000 ? 4 : 5;
  let digits = 6;
  for (let limit = 1_000_000; n >= limit && digits < 16; limit *= 10) digits++;
  return digits;
}

/** Writes a non-negative safe integer in decimal, `digits` (decimalDigits) long; returns the position after. */
export function writeDecimal(buf: Buffer, pos: number, n: number, digits: number): number {
  const end = pos + digits;
  let at = end - 1;
  // Floating-point division is exact enough here: floor(n / 10) is right for every safe integer.
  for (; n > 0x7fffffff; at--) {
    const q = Math.floor(n / 10);
    buf[at] = 48 + (n - q * 10);
    n = q;
  }
  for (; at >= pos; at--) {
    const q = (n / 10) | 0;
    buf[at] = 48 + (n - q * 10);
    n = q;
  }
  return end;
}

/** Bytes of a last header value. */
const lastHeaderBytes = (v: string | number): number =>
  typeof v === 'number' ? decimalDigits(v) : utf8Length(v);

/**
 * The measure of a record: its body's length (everything after the record's own length varint) less the
 * timestamp and offset deltas, which depend on the batch it lands in. Kept in a reused object: measuring
 * allocates nothing.
 */
export interface Measure {
  keyBytes: number;
  valueBytes: number;
  headerBytes: number;
  /** A BufferedRecord's header count. */
  headerCount: number;
  /** A PreparedRecord's last header value. */
  lastHeaderBytes: number;
  /** keyBytes, valueBytes, headerBytes and their length varints, plus the attributes byte. */
  fixed: number;
  timestamp: number;
}

/** A zeroed Measure, to be reused across records. */
export function newMeasure(): Measure {
  return {
    keyBytes: 0,
    valueBytes: 0,
    headerBytes: 0,
    headerCount: 0,
    lastHeaderBytes: 0,
    fixed: 0,
    timestamp: 0,
  };
}

/** `now`: the timestamp of a BufferedRecord without one (default the clock, read only then). */
export function measure(r: AnyRecord, m: Measure, now?: number): void {
  if (isPrepared(r)) {
    m.keyBytes = utf8Length(r.key);
    m.valueBytes = typeof r.value === 'string' ? Buffer.byteLength(r.value, 'utf8') : r.value.byteLength;
    const last = lastHeaderBytes(r.lastHeaderValue);
    m.lastHeaderBytes = last;
    m.headerBytes = r.headers.bytes.length + sizeOfVarint(last) + last;
    m.timestamp = r.timestamp;
  } else {
    m.keyBytes = r.key === null ? -1 : r.key.length;
    m.valueBytes = r.value.length;
    let n = 0;
    let h = 0;
    for (const k in r.headers) {
      const kb = headerKeyBytes(k).length;
      const vb = r.headers[k].length;
      h += sizeOfVarint(kb) + kb + sizeOfVarint(vb) + vb;
      n++;
    }
    m.headerCount = n;
    m.headerBytes = sizeOfVarint(n) + h;
    m.timestamp = r.timestamp === undefined ? (now ?? Date.now()) : Number(r.timestamp);
  }
  m.fixed =
    1 +
    sizeOfVarint(m.keyBytes) +
    Math.max(m.keyBytes, 0) +
    sizeOfVarint(m.valueBytes) +
    m.valueBytes +
    m.headerBytes;
}

/** Bytes of a record at this offset and timestamp delta in its batch, its length varint included. */
export function recordSize(m: Measure, offsetDelta: number, timestampDelta: number): number {
  const body = m.fixed + sizeOfVarint(offsetDelta) + sizeOfVarint(timestampDelta);
  return sizeOfVarint(body) + body;
}

/** Writes the record measured in `m` at `pos`; returns the position after it. */
export function writeRecord(
  buf: Buffer,
  pos: number,
  r: AnyRecord,
  m: Measure,
  offsetDelta: number,
  timestampDelta: number,
): number {
  pos = writeVarint(buf, pos, m.fixed + sizeOfVarint(offsetDelta) + sizeOfVarint(timestampDelta));
  buf[pos++] = 0;
  pos = writeVarint(buf, pos, timestampDelta);
  pos = writeVarint(buf, pos, offsetDelta);
  pos = writeVarint(buf, pos, m.keyBytes);
  if (isPrepared(r)) {
    pos = writeString(buf, pos, r.key, m.keyBytes);
    pos = writeVarint(buf, pos, m.valueBytes);
    const v = r.value;
    pos = typeof v === 'string' ? writeString(buf, pos, v, m.valueBytes) : v.writeTo(buf, pos);
    buf.set(r.headers.bytes, pos);
    pos += r.headers.bytes.length;
    pos = writeVarint(buf, pos, m.lastHeaderBytes);
    const last = r.lastHeaderValue;
    return typeof last === 'number'
      ? writeDecimal(buf, pos, last, m.lastHeaderBytes)
      : writeString(buf, pos, last, m.lastHeaderBytes);
  }
  if (r.key !== null) {
    buf.set(r.key, pos);
    pos += r.key.length;
  }
  pos = writeVarint(buf, pos, m.valueBytes);
  buf.set(r.value, pos);
  pos += r.value.length;
  pos = writeVarint(buf, pos, m.headerCount);
  for (const k in r.headers) {
    const kb = headerKeyBytes(k);
    const v = r.headers[k];
    pos = writeVarint(buf, pos, kb.length);
    buf.set(kb, pos);
    pos += kb.length;
    pos = writeVarint(buf, pos, v.length);
    buf.set(v, pos);
    pos += v.length;
  }
  return pos;
}
