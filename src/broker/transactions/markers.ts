// Ending a transaction on its partitions: a COMMIT or ABORT control batch appended to every partition of
// the transaction (including those it never wrote to, as Kafka does), the partition's open transaction
// closed and, on abort, its range entered into the aborted index, both in the same tick as the append
// assigns the marker its offset, so a reader never sees the marker without the index that goes with it.
import { buildControlBatch } from '../../protocol/record-batch.ts';
import type { Partition } from '../topics/topic-manager.ts';
import type { PartitionTransactions } from './partition-transactions.ts';
import type { Transaction } from './transaction.ts';

export interface MarkerEnv {
  readonly partitions: PartitionTransactions;
  partitionById(topicId: string, index: number): Partition | undefined;
  now(): number;
}

export interface MarkerOutcome {
  /** Partitions whose topic is gone: nothing to mark. */
  readonly skipped: string[];
  /** Appends that failed (a storage error): the transaction must be ended again. */
  readonly failed: { where: string; err: unknown }[];
}

export async function writeMarkers(
  env: MarkerEnv,
  txn: Transaction,
  outcome: 'commit' | 'abort',
): Promise<MarkerOutcome> {
  const skipped: string[] = [];
  const appends: { where: string; done: Promise<unknown> }[] = [];
  for (const p of txn.partitions.values()) {
    const where = `${p.topic}-${p.partition}`;
    const partition = env.partitionById(p.topicId, p.partition);
    if (!partition) {
      skipped.push(where);
      continue;
    }
    const { log } = partition;
    const batch = buildControlBatch({
      producerId: txn.producerId,
      producerEpoch: txn.producerEpoch,
      type: outcome,
      timestamp: BigInt(env.now()),
    });
    const known = env.partitions.firstOffset(p.topicId, p.partition, txn.producerId);
    const firstOffset = known ?? (p.recovered ? p.addedAt : undefined);
    const markerOffset = log.logEndOffset;
    appends.push({ where, done: log.append(batch) });
    env.partitions.close(p.topicId, p.partition, txn.producerId, outcome, markerOffset, firstOffset);
  }
  const settled = await Promise.allSettled(appends.map((a) => a.done));
  const failed = settled.flatMap((s, i) =>
    s.status === 'rejected' ? [{ where: appends[i].where, err: s.reason as unknown }] : [],
  );
  return { skipped, failed };
}
