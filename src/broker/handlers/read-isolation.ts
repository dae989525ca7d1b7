// What a read_committed reader may see. Transactions are not implemented yet, so nothing is ever pending:
// the last stable offset is the high watermark and no transaction was ever aborted. Fetch and ListOffsets
// go through these functions only, so transactions change them here and nowhere else.
import type { Partition } from '../topics/topic-manager.ts';

export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

/** The first offset whose transaction is still open; the high watermark when none is. */
export function lastStableOffset(partition: Partition): bigint {
  return partition.log.highWatermark;
}

/** Where a reader at `isolationLevel` must stop: the LSO for read_committed, else the high watermark. */
export function readLimit(partition: Partition, isolationLevel: number): bigint {
  return isolationLevel === READ_COMMITTED ? lastStableOffset(partition) : partition.log.highWatermark;
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

/** Aborted transactions overlapping [from, to): what a read_committed consumer must filter out. */
export function abortedTransactions(_partition: Partition, _from: bigint, _to: bigint): AbortedTransaction[] {
  return [];
}
