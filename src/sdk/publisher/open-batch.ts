// A batch being filled: each record is written once, straight into its final Kafka record-batch v2 bytes
// (offset delta = its index, timestamp delta from the batch's first record), in a buffer that grows (the
// publisher decides how: doubling, or moving into a spare full-size buffer) up to maxBatchBytes. Sealing writes the 61-byte header and the CRC: the bytes are then what the
// bus receives, what a disk buffer stores, and what the memory buffer holds and counts.
import { COMPRESSION_IDS, compress, type CompressionCodec } from '../../protocol/compression.ts';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORD_BATCH_OVERHEAD,
  writeBatchCrc,
} from '../../protocol/record-batch.ts';
import type { SealedBatch } from '../kafka-client.ts';
import { recordSize, writeRecord, type AnyRecord, type Measure } from './record-encoding.ts';

export class OpenBatch {
  /** -1: the topic's partition count was not known yet (the bus producer splits it when it sends). */
  readonly partition: number;
  #buf: Buffer;
  #pos = RECORD_BATCH_OVERHEAD;
  #count = 0;
  #baseTs = 0;
  #maxTs = 0;

  /** `reuse`: a buffer of exactly `capacity` bytes whose earlier batch is done with. */
  constructor(partition: number, capacity: number, reuse?: Buffer) {
    this.partition = partition;
    this.#buf =
      reuse !== undefined && reuse.length === capacity
        ? reuse
        : Buffer.allocUnsafeSlow(Math.max(capacity, RECORD_BATCH_OVERHEAD));
  }

  get records(): number {
    return this.#count;
  }
  /** Bytes written so far, the batch header included: the sealed batch's size (uncompressed). */
  get size(): number {
    return this.#pos;
  }
  /** Bytes held. */
  get capacity(): number {
    return this.#buf.length;
  }

  /** What the measured record would add to the batch. */
  sizeOf(m: Measure): number {
    const ts = this.#count === 0 ? 0 : m.timestamp - this.#baseTs;
    return recordSize(m, this.#count, ts);
  }

  /** The buffer written into: after seal(), free for another batch unless the sealed batch is a view of it. */
  get buffer(): Buffer {
    return this.#buf;
  }

  /**
   * Moves what is written into a buffer of `capacity` bytes: `into` (a spare whose earlier batch is done
   * with, at least `capacity` long) or a new allocation. The old buffer is the caller's to reuse or forget.
   */
  grow(capacity: number, into?: Buffer): void {
    if (capacity < this.#pos)
      throw new RangeError(`OpenBatch.grow: ${capacity} < ${this.#pos} bytes written`);
    if (into !== undefined && into.length < capacity) {
      throw new RangeError(`OpenBatch.grow: the buffer given holds ${into.length} < ${capacity} bytes`);
    }
    const next = into ?? Buffer.allocUnsafeSlow(capacity);
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  /** Appends the record just measured into `m`; the caller made room (sizeOf, grow). */
  append(r: AnyRecord, m: Measure): void {
    if (this.#count === 0) {
      this.#baseTs = m.timestamp;
      this.#maxTs = m.timestamp;
    } else if (m.timestamp > this.#maxTs) this.#maxTs = m.timestamp;
    this.#pos = writeRecord(this.#buf, this.#pos, r, m, this.#count, m.timestamp - this.#baseTs);
    this.#count++;
  }

  /**
   * The finished batch, in a buffer of its own (its exact size, or the batch's own buffer when that is
   * at most 1/8 larger, or when at least `keepFrom` bytes were written: then `buffer` is the sealed
   * batch's), with producer id, epoch and base sequence unset (-1): the bus producer stamps them when it sends.
   */
  seal(codec: CompressionCodec = 'none', keepFrom = Infinity, checksum = true): SealedBatch {
    let out: Buffer;
    if (codec !== 'none') {
      const body = compress(codec, this.#buf.subarray(RECORD_BATCH_OVERHEAD, this.#pos));
      out = Buffer.allocUnsafeSlow(RECORD_BATCH_OVERHEAD + body.length);
      body.copy(out, RECORD_BATCH_OVERHEAD);
    } else if (this.#pos >= keepFrom || this.#buf.length - this.#pos <= this.#pos >> 3) {
      // Nearly full (the usual case once sizes settle): kept as it is rather than copied; the buffer
      // counts what it holds (MemoryStore charges the whole allocation).
      out = this.#buf.subarray(0, this.#pos);
    } else {
      out = Buffer.allocUnsafeSlow(this.#pos);
      this.#buf.copy(out, RECORD_BATCH_OVERHEAD, RECORD_BATCH_OVERHEAD, this.#pos);
    }
    out.writeBigInt64BE(0n, BASE_OFFSET_OFFSET);
    out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
    out.writeInt32BE(-1, PARTITION_LEADER_EPOCH_OFFSET);
    out.writeInt8(MAGIC_V2, MAGIC_OFFSET);
    out.writeInt16BE(COMPRESSION_IDS[codec], ATTRIBUTES_OFFSET);
    out.writeInt32BE(this.#count - 1, LAST_OFFSET_DELTA_OFFSET);
    out.writeBigInt64BE(BigInt(this.#baseTs), BASE_TIMESTAMP_OFFSET);
    out.writeBigInt64BE(BigInt(this.#maxTs), MAX_TIMESTAMP_OFFSET);
    out.writeBigInt64BE(-1n, PRODUCER_ID_OFFSET);
    out.writeInt16BE(-1, PRODUCER_EPOCH_OFFSET);
    out.writeInt32BE(-1, BASE_SEQUENCE_OFFSET);
    out.writeInt32BE(this.#count, RECORDS_COUNT_OFFSET);
    if (checksum) writeBatchCrc(out);
    return { partition: this.partition, bytes: out, records: this.#count, checksumPending: !checksum };
  }
}
