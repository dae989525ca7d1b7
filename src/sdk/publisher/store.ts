// What a buffer holds: sealed batches (Kafka record-batch bytes, one partition each), oldest first, waiting
// for the bus. The publisher keeps the batches being filled itself; a store only sees sealed ones. The
// oldest batches are the ones in flight (and the breaker's half-open probe); each stays until the bus
// acknowledged it and everything before it.
import type { OutgoingRecord, SealedBatch } from '../kafka-client.ts';
import { RECORD_BATCH_OVERHEAD } from '../../protocol/record-batch.ts';
import { measure, newMeasure, recordSize, type AnyRecord } from './record-encoding.ts';

/** A record as the publisher buffers it (the topic is the publisher's). */
export type BufferedRecord = Omit<OutgoingRecord, 'topic'>;

/**
 * What a record costs alone in a batch: the batch header (61 bytes) plus the record's own encoding. A
 * record is refused (RecordTooLargeError) when this exceeds maxBatchBytes; in a batch of many, a record
 * costs its encoding only (recordBytes - 61, give or take a byte of its deltas).
 */
export function recordBytes(r: AnyRecord): number {
  const m = newMeasure();
  measure(r, m, 0);
  return RECORD_BATCH_OVERHEAD + recordSize(m, 0, 0);
}

export interface BatchStore {
  /** Bytes held: the sealed batches' sizes (in memory, or in the log for a disk buffer). */
  readonly bytes: number;
  readonly records: number;
  readonly batches: number;
  append(batch: SealedBatch): void;
  /** The batch `index` places from the oldest (0); undefined when there is none (or not readable yet). */
  at(index: number): Promise<SealedBatch | undefined>;
  /** The oldest batch was acknowledged by the bus: forget it. */
  ackHead(): Promise<void>;
  /**
   * drop_oldest: removes the oldest whole batch that is not in flight (the first `inFlight` are). Returns
   * how many records went (0 = nothing evictable).
   */
  evictOldest(inFlight: number): number;
  /** Resolves when every batch appended so far is stored (on disk for a disk buffer). */
  stored(): Promise<void>;
  close(): Promise<void>;
}
