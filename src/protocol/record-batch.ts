// Kafka record batch v2 (magic 2): header parsing, validation, in-place patches, splitting a
// concatenation of batches, building (incl. transaction control batches) and decoding records.
// The broker stores batches verbatim; it only needs the header, validateBatch and the two patches.
// Layout and broker duties: shared/reference/kafka-protocol.md §3.6.
import {
  COMPRESSION_IDS,
  CompressionError,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  UnsupportedCompressionError,
  codecFromId,
  compress,
  decompress,
  type CompressionCodec,
} from './compression.ts';
import { crc32c } from './crc32c.ts';
import {
  RecordBatchError,
  decodeRecordBodies,
  encodeRecords,
  type DecodedRecord,
  type RecordBatchErrorReason,
  type RecordInput,
} from './records.ts';

export {
  RecordBatchError,
  type RecordBatchErrorReason,
  type DecodedRecord,
  type RecordHeader,
  type RecordInput,
} from './records.ts';

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
/** Size of the batch header; the records start here. */
export const RECORD_BATCH_OVERHEAD = 61;
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const LOG_OVERHEAD = 12;
/** Smallest legal batchLength (a header with no records). */
export const MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;
export const MAGIC_V2 = 2;

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_LOG_APPEND_TIME = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
export const ATTR_DELETE_HORIZON = 0x40;

export type TimestampType = 'create' | 'log-append';

export interface RecordBatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: CompressionCodec;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/**
 * Parses the 61-byte header at `offset`. Checks nothing but that the bytes are there and that the
 * codec id is one Kafka defines (0..4); use validateBatch for everything else.
 */
export function readBatchHeader(buf: Buffer, offset = 0): RecordBatchHeader {
  if (offset < 0 || buf.length - offset < RECORD_BATCH_OVERHEAD) {
    const have = Math.max(0, buf.length - offset);
    throw new RecordBatchError(
      'truncated',
      offset,
      `record batch header needs ${RECORD_BATCH_OVERHEAD} bytes, ${have} available`,
    );
  }
  const attributes = buf.readInt16BE(offset + ATTRIBUTES_OFFSET);
  const compression = codecFromId(attributes & ATTR_COMPRESSION_MASK);
  if (compression === undefined) {
    throw new RecordBatchError(
      'bad-codec',
      offset + ATTRIBUTES_OFFSET,
      `unknown compression codec id ${attributes & ATTR_COMPRESSION_MASK}`,
    );
  }
  return {
    baseOffset: buf.readBigInt64BE(offset + BASE_OFFSET_OFFSET),
    batchLength: buf.readInt32BE(offset + BATCH_LENGTH_OFFSET),
    partitionLeaderEpoch: buf.readInt32BE(offset + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(offset + MAGIC_OFFSET),
    crc: buf.readUInt32BE(offset + CRC_OFFSET),
    attributes,
    compression,
    timestampType: attributes & ATTR_LOG_APPEND_TIME ? 'log-append' : 'create',
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
    lastOffsetDelta: buf.readInt32BE(offset + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: buf.readBigInt64BE(offset + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: buf.readBigInt64BE(offset + MAX_TIMESTAMP_OFFSET),
    producerId: buf.readBigInt64BE(offset + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(offset + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(offset + BASE_SEQUENCE_OFFSET),
    recordCount: buf.readInt32BE(offset + RECORDS_COUNT_OFFSET),
  };
}

/**
 * Total size (LOG_OVERHEAD + batchLength) of the batch at `offset`, or -1 when its 12-byte prefix is
 * not all there. A negative batchLength gives 0; any result below RECORD_BATCH_OVERHEAD is corrupt.
 */
export function batchSizeAt(buf: Buffer, offset: number): number {
  if (offset < 0 || buf.length - offset < LOG_OVERHEAD) return -1;
  const batchLength = buf.readInt32BE(offset + BATCH_LENGTH_OFFSET);
  return batchLength < 0 ? 0 : LOG_OVERHEAD + batchLength;
}

export type ValidateResult =
  | { ok: true; header: RecordBatchHeader; size: number }
  | { ok: false; reason: RecordBatchErrorReason; message: string };

const invalid = (reason: RecordBatchErrorReason, at: number, message: string): ValidateResult => ({
  ok: false,
  reason,
  message: `record batch at byte ${at}: ${message}`,
});

/**
 * Checks the batch at `offset` without throwing: complete bytes, batchLength >= 49, magic 2, CRC-32C
 * over [offset+21, end), codec 0..4, recordCount >= 0 and lastOffsetDelta == recordCount - 1 (for a
 * non-empty batch), and for an uncompressed batch that the count fits in the bytes. It does not parse
 * the records (decodeRecords does).
 */
export function validateBatch(buf: Buffer, offset = 0): ValidateResult {
  const size = batchSizeAt(buf, offset);
  if (size < 0)
    return invalid(
      'truncated',
      offset,
      `${Math.max(0, buf.length - offset)} bytes, less than the 12-byte prefix`,
    );
  const batchLength = size - LOG_OVERHEAD;
  if (batchLength < MIN_BATCH_LENGTH) {
    return invalid(
      'bad-length',
      offset,
      `batchLength ${buf.readInt32BE(offset + BATCH_LENGTH_OFFSET)} is below ${MIN_BATCH_LENGTH}`,
    );
  }
  if (buf.length - offset < size) {
    return invalid('truncated', offset, `batch of ${size} bytes but only ${buf.length - offset} available`);
  }
  const magic = buf.readInt8(offset + MAGIC_OFFSET);
  if (magic !== MAGIC_V2) return invalid('bad-magic', offset, `magic ${magic}, only 2 is supported`);
  const stored = buf.readUInt32BE(offset + CRC_OFFSET);
  const computed = crc32c(buf.subarray(offset + ATTRIBUTES_OFFSET, offset + size));
  if (stored !== computed) {
    return invalid(
      'bad-crc',
      offset,
      `CRC-32C mismatch: stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)}`,
    );
  }
  const codecId = buf.readInt16BE(offset + ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK;
  if (codecFromId(codecId) === undefined)
    return invalid('bad-codec', offset, `unknown compression codec id ${codecId}`);
  const header = readBatchHeader(buf, offset);
  const { recordCount, lastOffsetDelta } = header;
  if (recordCount < 0) return invalid('bad-count', offset, `negative record count ${recordCount}`);
  if (recordCount > 0 && lastOffsetDelta !== recordCount - 1) {
    return invalid(
      'bad-count',
      offset,
      `lastOffsetDelta ${lastOffsetDelta} does not match record count ${recordCount}`,
    );
  }
  if (header.compression === 'none' && recordCount > (size - RECORD_BATCH_OVERHEAD) / 7) {
    return invalid(
      'bad-count',
      offset,
      `record count ${recordCount} does not fit in ${size - RECORD_BATCH_OVERHEAD} bytes`,
    );
  }
  return { ok: true, header, size };
}

/** Overwrites baseOffset in place (outside the CRC, so the CRC stays valid). */
export function setBaseOffset(buf: Buffer, offset: number, baseOffset: bigint): void {
  buf.writeBigInt64BE(baseOffset, offset + BASE_OFFSET_OFFSET);
}

/** Overwrites partitionLeaderEpoch in place (outside the CRC, so the CRC stays valid). */
export function setPartitionLeaderEpoch(buf: Buffer, offset: number, epoch: number): void {
  buf.writeInt32BE(epoch, offset + PARTITION_LEADER_EPOCH_OFFSET);
}

export interface BatchSpan {
  offset: number;
  size: number;
}

export interface BatchScan {
  batches: BatchSpan[];
  /** Where the whole batches end: everything from here on is the tail. */
  end: number;
  /** 'none': no tail; 'partial': the last batch is cut short; 'bad-length': a batchLength below 49. */
  tail: 'none' | 'partial' | 'bad-length';
}

/** Whole batches in a concatenation by their length fields alone (no CRC check); stops at a partial batch. */
export function* splitBatches(buf: Buffer): Generator<BatchSpan> {
  for (let offset = 0; ;) {
    const size = batchSizeAt(buf, offset);
    if (size < RECORD_BATCH_OVERHEAD || size > buf.length - offset) return;
    yield { offset, size };
    offset += size;
  }
}

/** Records in the whole batches of a concatenation, from their headers (control batches included). */
export function countRecords(buf: Buffer): number {
  let count = 0;
  for (const { offset } of splitBatches(buf))
    count += Math.max(0, buf.readInt32BE(offset + RECORDS_COUNT_OFFSET));
  return count;
}

/** splitBatches, also telling what follows the last whole batch. */
export function scanBatches(buf: Buffer): BatchScan {
  const batches = [...splitBatches(buf)];
  const last = batches.at(-1);
  const end = last ? last.offset + last.size : 0;
  if (end === buf.length) return { batches, end, tail: 'none' };
  const size = batchSizeAt(buf, end);
  return { batches, end, tail: size >= 0 && size < RECORD_BATCH_OVERHEAD ? 'bad-length' : 'partial' };
}

export interface BuildRecordBatchOptions {
  records: readonly RecordInput[];
  baseOffset?: bigint;
  compression?: CompressionCodec;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  partitionLeaderEpoch?: number;
  timestampType?: TimestampType;
  /** Timestamp of records that carry none (default: now). */
  timestamp?: bigint;
  /** Internal: control batches are built by buildControlBatch. */
  control?: boolean;
}

/** Builds a complete batch: offset deltas 0..n-1, timestamps relative to the first record, CRC. */
export function buildRecordBatch(opts: BuildRecordBatchOptions): Buffer {
  const { records } = opts;
  if (records.length === 0) throw new RangeError('a record batch needs at least one record');
  const codec = opts.compression ?? 'none';
  const fallback = opts.timestamp ?? BigInt(Date.now());
  const timestamps = records.map((r) => r.timestamp ?? fallback);
  const baseTimestamp = timestamps[0];
  const maxTimestamp = timestamps.reduce((a, b) => (b > a ? b : a));
  const body = compress(codec, encodeRecords(records, timestamps, baseTimestamp));
  const size = RECORD_BATCH_OVERHEAD + body.length;
  const buf = Buffer.allocUnsafe(size);
  let attributes = COMPRESSION_IDS[codec];
  if (opts.timestampType === 'log-append') attributes |= ATTR_LOG_APPEND_TIME;
  if (opts.transactional || opts.control) attributes |= ATTR_TRANSACTIONAL;
  if (opts.control) attributes |= ATTR_CONTROL;
  buf.writeBigInt64BE(opts.baseOffset ?? 0n, BASE_OFFSET_OFFSET);
  buf.writeInt32BE(size - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH_OFFSET);
  buf.writeInt8(MAGIC_V2, MAGIC_OFFSET);
  buf.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  buf.writeInt32BE(records.length - 1, LAST_OFFSET_DELTA_OFFSET);
  buf.writeBigInt64BE(baseTimestamp, BASE_TIMESTAMP_OFFSET);
  buf.writeBigInt64BE(maxTimestamp, MAX_TIMESTAMP_OFFSET);
  buf.writeBigInt64BE(opts.producerId ?? -1n, PRODUCER_ID_OFFSET);
  buf.writeInt16BE(opts.producerEpoch ?? -1, PRODUCER_EPOCH_OFFSET);
  buf.writeInt32BE(opts.baseSequence ?? -1, BASE_SEQUENCE_OFFSET);
  buf.writeInt32BE(records.length, RECORDS_COUNT_OFFSET);
  body.copy(buf, RECORD_BATCH_OVERHEAD);
  writeBatchCrc(buf);
  return buf;
}

/** Writes the CRC-32C of the batch that starts at 0 and fills `buf` (it covers the attributes onward). */
export function writeBatchCrc(buf: Buffer): void {
  buf.writeUInt32BE(crc32c(buf.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
}

/**
 * Decodes the records of the batch at `offset` after validateBatch's checks (CRC included),
 * decompressing at most `maxDecompressedBytes`. Throws RecordBatchError on any malformed input.
 */
export function decodeRecords(
  buf: Buffer,
  offset = 0,
  maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES,
): DecodedRecord[] {
  const v = validateBatch(buf, offset);
  if (!v.ok) throw new RecordBatchError(v.reason, offset, v.message);
  const { header, size } = v;
  const bodyOffset = offset + RECORD_BATCH_OVERHEAD;
  let body = buf.subarray(bodyOffset, offset + size);
  if (header.compression !== 'none') {
    try {
      body = decompress(header.compression, body, maxDecompressedBytes);
    } catch (err) {
      if (err instanceof CompressionError) {
        const reason = err.reason === 'too-large' ? 'too-large' : 'bad-compression';
        throw new RecordBatchError(reason, bodyOffset, err.message, { cause: err });
      }
      if (err instanceof UnsupportedCompressionError)
        throw new RecordBatchError('bad-codec', bodyOffset, err.message, { cause: err });
      throw err;
    }
  }
  return decodeRecordBodies(body, {
    count: header.recordCount,
    baseOffset: header.baseOffset,
    baseTimestamp: header.baseTimestamp,
    logAppendTime: header.timestampType === 'log-append' ? header.maxTimestamp : null,
    bodyOffset,
    compressed: header.compression !== 'none',
  });
}

// Transaction markers (control batches), written by the broker for EndTxn.

export interface ControlBatchOptions {
  producerId: bigint;
  producerEpoch: number;
  type: 'commit' | 'abort';
  coordinatorEpoch?: number;
  timestamp: bigint;
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
}

const CONTROL_TYPES = { abort: 0, commit: 1 } as const;

/**
 * A control batch: attributes transactional|control (0x30), baseSequence -1, one record whose key is
 * int16 version 0 + int16 type (0 abort, 1 commit) and whose value is int16 version 0 + int32
 * coordinator epoch. librdkafka rejects keys that are not exactly 4 bytes; kafkajs spots aborts by
 * the key [0, 0, 0, 0].
 */
export function buildControlBatch(opts: ControlBatchOptions): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(CONTROL_TYPES[opts.type], 2);
  const value = Buffer.alloc(6);
  value.writeInt32BE(opts.coordinatorEpoch ?? 0, 2);
  return buildRecordBatch({
    records: [{ key, value, timestamp: opts.timestamp }],
    baseOffset: opts.baseOffset,
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    baseSequence: -1,
    partitionLeaderEpoch: opts.partitionLeaderEpoch,
    control: true,
  });
}

/** Parses a control record key. Throws RecordBatchError ('bad-record') for anything but abort/commit. */
export function parseControlRecordKey(key: Buffer): { version: number; type: 'abort' | 'commit' } {
  if (key.length < 4)
    throw new RecordBatchError('bad-record', 0, `control record key of ${key.length} bytes, expected 4`);
  const version = key.readInt16BE(0);
  const type = key.readInt16BE(2);
  if (type === 0) return { version, type: 'abort' };
  if (type === 1) return { version, type: 'commit' };
  throw new RecordBatchError(
    'bad-record',
    2,
    `control record type ${type} is neither abort (0) nor commit (1)`,
  );
}

/** Parses an end-transaction marker value (int16 version + int32 coordinator epoch). */
export function parseControlRecordValue(value: Buffer): { version: number; coordinatorEpoch: number } {
  if (value.length < 6)
    throw new RecordBatchError('bad-record', 0, `control record value of ${value.length} bytes, expected 6`);
  return { version: value.readInt16BE(0), coordinatorEpoch: value.readInt32BE(2) };
}
