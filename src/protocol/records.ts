// Record-level encoding inside a record batch v2 (after the 61-byte header, possibly compressed):
//   length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
//   keyLength varint (-1 = null), key, valueLength varint (-1 = null), value,
//   headerCount varint, [headerKeyLength varint, headerKey, headerValueLength varint (-1 = null), value]
// All varints here are zigzag-signed (unlike the unsigned varints of flexible protocol versions).
// The decoder treats every count and length as hostile: each is checked against the bytes that are
// actually there before anything is allocated or looped over.

export type RecordBatchErrorReason =
  | 'truncated'
  | 'bad-length'
  | 'bad-magic'
  | 'bad-crc'
  | 'bad-codec'
  | 'bad-count'
  | 'bad-record'
  | 'bad-compression'
  | 'too-large';

/** A malformed or unsupported record batch; `offset` is the byte offset where the problem was found. */
export class RecordBatchError extends Error {
  override name = 'RecordBatchError';
  readonly reason: RecordBatchErrorReason;
  readonly offset: number;
  constructor(reason: RecordBatchErrorReason, offset: number, message: string, options?: ErrorOptions) {
    super(`${message} (at byte ${offset})`, options);
    this.reason = reason;
    this.offset = offset;
  }
}

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  timestamp?: bigint;
}

export interface DecodedRecord {
  offset: bigint;
  timestamp: bigint;
  /** Views into the batch (or its decompressed records): copy them to keep them past the buffer's life. */
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** Smallest possible record: length, attributes, timestampDelta, offsetDelta, key, value, header count. */
const MIN_RECORD_SIZE = 7;
/** Smallest possible header: key length and value length. */
const MIN_HEADER_SIZE = 2;

const zigzag32 = (n: number): number => ((n << 1) ^ (n >> 31)) >>> 0;

function sizeOfUnsigned(z: number): number {
  let size = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 128);
    size++;
  }
  return size;
}

const sizeOfVarint = (n: number): number => sizeOfUnsigned(zigzag32(n));

/** Zigzag of an int64 as a non-negative number when it is exact, else as a bigint. */
function zigzag64(n: bigint): number | bigint {
  if (n >= -0x10000000000000n && n < 0x10000000000000n) {
    const v = Number(n);
    return v >= 0 ? v * 2 : -v * 2 - 1;
  }
  return BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
}

function sizeOfVarlong(n: bigint): number {
  const z = zigzag64(n);
  if (typeof z === 'number') return sizeOfUnsigned(z);
  let size = 1;
  for (let v = z; v >= 0x80n; v >>= 7n) size++;
  return size;
}

function writeUnsigned(buf: Buffer, pos: number, z: number | bigint): number {
  if (typeof z === 'bigint') {
    for (; z >= 0x80n; z >>= 7n) buf[pos++] = Number(z & 0x7fn) | 0x80;
    buf[pos++] = Number(z);
    return pos;
  }
  for (; z >= 0x80; z = Math.floor(z / 128)) buf[pos++] = (z % 128) | 0x80;
  buf[pos++] = z;
  return pos;
}

const writeVarint = (buf: Buffer, pos: number, n: number): number => writeUnsigned(buf, pos, zigzag32(n));

function writeBytes(buf: Buffer, pos: number, bytes: Buffer | null): number {
  if (bytes === null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, bytes.length);
  return pos + bytes.copy(buf, pos);
}

const sizeOfBytes = (b: Buffer | null): number => (b === null ? 1 : sizeOfVarint(b.length) + b.length);

/** Encodes records (uncompressed) with offset deltas 0..n-1 and timestamps relative to baseTimestamp. */
export function encodeRecords(
  records: readonly RecordInput[],
  timestamps: readonly bigint[],
  baseTimestamp: bigint,
): Buffer {
  const headerKeys: Buffer[][] = [];
  const bodySizes: number[] = [];
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const keys = (r.headers ?? []).map((h) => Buffer.from(h.key, 'utf8'));
    headerKeys.push(keys);
    let size = 1 + sizeOfVarlong(timestamps[i] - baseTimestamp) + sizeOfVarint(i);
    size += sizeOfBytes(r.key ?? null) + sizeOfBytes(r.value) + sizeOfVarint(keys.length);
    for (let h = 0; h < keys.length; h++) size += sizeOfBytes(keys[h]) + sizeOfBytes(r.headers![h].value);
    bodySizes.push(size);
    total += sizeOfVarint(size) + size;
  }
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    pos = writeVarint(buf, pos, bodySizes[i]);
    buf[pos++] = 0; // record attributes: unused by Kafka
    pos = writeUnsigned(buf, pos, zigzag64(timestamps[i] - baseTimestamp));
    pos = writeVarint(buf, pos, i);
    pos = writeBytes(buf, pos, r.key ?? null);
    pos = writeBytes(buf, pos, r.value);
    const keys = headerKeys[i];
    pos = writeVarint(buf, pos, keys.length);
    for (let h = 0; h < keys.length; h++) {
      pos = writeBytes(buf, pos, keys[h]);
      pos = writeBytes(buf, pos, r.headers![h].value);
    }
  }
  return buf;
}

/** Cursor over untrusted record bytes; every read is bounds-checked against `end`. */
class Reader {
  pos: number;
  end: number;
  readonly buf: Buffer;
  readonly ctx: DecodeContext;
  constructor(buf: Buffer, ctx: DecodeContext) {
    this.buf = buf;
    this.pos = 0;
    this.end = buf.length;
    this.ctx = ctx;
  }

  fail(message: string, reason: RecordBatchErrorReason = 'bad-record'): never {
    // Positions inside decompressed data have no place in the batch: report the records' start.
    const { bodyOffset, compressed } = this.ctx;
    if (compressed)
      throw new RecordBatchError(reason, bodyOffset, `${message} at decompressed byte ${this.pos}`);
    throw new RecordBatchError(reason, bodyOffset + this.pos, message);
  }

  /** Zigzag varint of at most 5 bytes, as Kafka's ByteUtils.readVarint. */
  varint(what: string): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.pos >= this.end) this.fail(`truncated varint (${what})`);
      if (shift > 28) this.fail(`varint longer than 5 bytes (${what})`);
      const b = this.buf[this.pos++];
      value |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    return (value >>> 1) ^ -(value & 1);
  }

  /** Zigzag varlong of at most 10 bytes. */
  varlong(what: string): bigint {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (this.pos >= this.end) this.fail(`truncated varlong (${what})`);
      if (shift > 63n) this.fail(`varlong longer than 10 bytes (${what})`);
      const b = this.buf[this.pos++];
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    value = BigInt.asUintN(64, value);
    return (value >> 1n) ^ -(value & 1n);
  }

  /** Length-prefixed bytes; -1 is null, any other negative length or one past the end is an error. */
  bytes(what: string): Buffer | null {
    const len = this.varint(`${what} length`);
    if (len === -1) return null;
    if (len < 0) this.fail(`negative ${what} length ${len}`);
    if (len > this.end - this.pos) this.fail(`${what} length ${len} runs past the record`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
}

export interface DecodeContext {
  count: number;
  baseOffset: bigint;
  baseTimestamp: bigint;
  /** For LogAppendTime batches every record's timestamp is the batch's max timestamp (as Kafka does). */
  logAppendTime: bigint | null;
  /** Byte offset of the records inside the buffer the batch is in, for error messages. */
  bodyOffset: number;
  /** Whether `body` is decompressed data (then error positions are relative to it). */
  compressed: boolean;
}

/** Decodes exactly `count` records that must fill `body` exactly. */
export function decodeRecordBodies(body: Buffer, ctx: DecodeContext): DecodedRecord[] {
  const { count } = ctx;
  const r: Reader = new Reader(body, ctx);
  if (count < 0 || count > Math.floor(body.length / MIN_RECORD_SIZE)) {
    r.fail(`record count ${count} does not fit in ${body.length} bytes of records`, 'bad-count');
  }
  const records: DecodedRecord[] = new Array<DecodedRecord>(count);
  for (let i = 0; i < count; i++) {
    if (r.pos === body.length) r.fail(`record count ${count} but only ${i} records`, 'bad-count');
    r.end = body.length;
    const length = r.varint('record length');
    if (length < 0 || length > body.length - r.pos) r.fail(`record length ${length} runs past the records`);
    const recordEnd = r.pos + length;
    r.end = recordEnd;
    if (r.pos >= r.end) r.fail('empty record');
    r.pos++; // record attributes: unused by Kafka
    const timestampDelta = r.varlong('timestamp delta');
    const offsetDelta = r.varint('offset delta');
    const key = r.bytes('key');
    const value = r.bytes('value');
    const headerCount = r.varint('header count');
    if (headerCount < 0 || headerCount > Math.floor((r.end - r.pos) / MIN_HEADER_SIZE)) {
      r.fail(`header count ${headerCount} does not fit in the record`);
    }
    const headers: RecordHeader[] = new Array<RecordHeader>(headerCount);
    for (let h = 0; h < headerCount; h++) {
      const hk = r.bytes('header key');
      if (hk === null) r.fail('null header key');
      headers[h] = { key: hk.toString('utf8'), value: r.bytes('header value') };
    }
    if (r.pos !== recordEnd)
      r.fail(`record declared ${length} bytes but used ${length - (recordEnd - r.pos)}`);
    records[i] = {
      offset: ctx.baseOffset + BigInt(offsetDelta),
      timestamp: ctx.logAppendTime ?? ctx.baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    };
  }
  if (r.pos !== body.length) r.fail(`${body.length - r.pos} bytes left after ${count} records`, 'bad-count');
  return records;
}
