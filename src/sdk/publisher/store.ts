// What a buffer holds: sealed batches, oldest first, waiting for the bus. The publisher keeps the batch
// being filled itself; a store only sees whole batches. The oldest batch is the one sent (and the breaker's
// half-open probe), and it stays at the head until the bus acknowledged it.
import type { OutgoingRecord } from '../kafka-client.ts';

/** A record as the publisher buffers it (the topic is the publisher's). */
export type BufferedRecord = Omit<OutgoingRecord, 'topic'>;

/**
 * The size a record is accounted at in maxBatchBytes and in a memory buffer's maxBytes: its key, value,
 * header keys and values, plus a fixed 16 bytes for the framing a record costs on the wire.
 */
export function recordBytes(r: BufferedRecord): number {
  let n = 16 + r.value.length + (r.key?.length ?? 0);
  for (const k in r.headers) n += Buffer.byteLength(k) + r.headers[k].length;
  return n;
}

export interface BatchStore {
  /** Bytes held (the batch in flight included). */
  readonly bytes: number;
  readonly records: number;
  readonly batches: number;
  /** Appends a sealed batch; returns the bytes it is accounted at. */
  append(records: BufferedRecord[], bytes: number): number;
  /** The oldest batch, to send; undefined when empty. It stays until ackHead. */
  head(): Promise<BufferedRecord[] | undefined>;
  /** The head was acknowledged by the bus: forget it. */
  ackHead(): Promise<void>;
  /**
   * drop_oldest: removes the oldest records that are not in flight (the head while a send is in flight is
   * kept). Returns how many records went (0 = nothing evictable).
   */
  evictOldest(headInFlight: boolean): number;
  /** Resolves when every batch appended so far is stored (on disk for a disk buffer). */
  stored(): Promise<void>;
  close(): Promise<void>;
}
