// What a read_committed reader may see: records below the last stable offset (the first offset of the
// oldest transaction still open on the partition, else the high watermark), with the aborted transactions
// of the range it reads so it can drop their records. Fetch and ListOffsets go through these functions
// only; the state behind them is the transaction coordinator's (../transactions/partition-transactions.ts).
import type { BrokerContext } from '../broker-context.ts';
import type { Partition } from '../topics/topic-manager.ts';

export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

/** The first offset whose transaction is still open; the high watermark when none is. */
export function lastStableOffset(broker: BrokerContext, partition: Partition): bigint {
  const hwm = partition.log.highWatermark;
  const open = broker.transactions.partitions.firstOpenOffset(partition.topic.id, partition.index);
  return open !== undefined && open < hwm ? open : hwm;
}

/** Where a reader at `isolationLevel` must stop: the LSO for read_committed, else the high watermark. */
export function readLimit(broker: BrokerContext, partition: Partition, isolationLevel: number): bigint {
  return isolationLevel === READ_COMMITTED
    ? lastStableOffset(broker, partition)
    : partition.log.highWatermark;
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

/**
 * Aborted transactions overlapping [from, to): what a read_committed consumer must filter out. Empty for
 * read_uncommitted readers, which see every record.
 */
export function abortedTransactions(
  broker: BrokerContext,
  partition: Partition,
  isolationLevel: number,
  from: bigint,
  to: bigint,
): AbortedTransaction[] {
  if (isolationLevel !== READ_COMMITTED || to <= from) return [];
  return broker.transactions.partitions
    .abortedBetween(partition.topic.id, partition.index, from, to)
    .map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }));
}
