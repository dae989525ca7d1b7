// The producer-state gate every produced batch passes just before it is appended: idempotence (per
// producer and partition sequence windows, retries answered with their original offset, see
// ../producers/) and, later, transactions. Produce calls it synchronously, right before log.append, so
// the verdict and the offsets assigned by the append cannot interleave with another request's.
//
// Transactions first (../transactions/requests.ts checkProduce): a transactional batch needs its
// transactional id's current producer id and epoch and a partition added to the open transaction; a plain
// batch from a producer with a transaction open is refused. An admitted transactional batch opens the
// transaction on its partition at the offset the append is about to assign, which holds back the
// partition's last stable offset until the marker.
import type { RecordBatchHeader } from '../../protocol/record-batch.ts';
import type { AppendResult } from '../log/index.ts';
import { partitionKey, type ProducerStateManager } from '../producers/producer-state-manager.ts';
import type { Partition } from '../topics/topic-manager.ts';
import type { TransactionRequests } from '../transactions/requests.ts';

export interface ProducedBatch {
  readonly partition: Partition;
  readonly header: RecordBatchHeader;
  /** The request's transactional id (Produce v3+), null for non-transactional producers. */
  readonly transactionalId: string | null;
}

/** Where the original of a retried batch went. */
export interface OriginalAppend {
  baseOffset: bigint;
  logAppendTimeMs: bigint;
}

export type AdmissionVerdict =
  /**
   * Append it. `appended` (when given) learns where it went once the append is acknowledged (after the
   * durability policy; never for a failed append); `failed` learns that the append failed.
   */
  | { kind: 'append'; appended?: (result: AppendResult) => void; failed?: (err: unknown) => void }
  /**
   * Already admitted (an idempotent retry): append nothing and answer success with the original offset,
   * once the original append is acknowledged; `original` rejects with its error if that append failed.
   */
  | { kind: 'duplicate'; original: Promise<OriginalAppend> }
  | { kind: 'reject'; errorCode: number; message: string };

export function admitProducedBatch(
  producers: ProducerStateManager,
  transactions: TransactionRequests,
  batch: ProducedBatch,
): AdmissionVerdict {
  const { header, partition } = batch;
  const refused = transactions.checkProduce(batch.transactionalId, header, partition);
  if (refused) return { kind: 'reject', ...refused };
  const admission = producers.admit(partitionKey(partition.topic.id, partition.index), header);
  if (header.isTransactional && admission.kind === 'append') {
    transactions.noteAppend(header.producerId, partition, partition.log.logEndOffset);
  }
  switch (admission.kind) {
    case 'plain':
      return { kind: 'append' };
    case 'reject':
      return admission;
    case 'duplicate':
      return {
        kind: 'duplicate',
        original: admission.original.then((at) => ({
          baseOffset: at.baseOffset,
          logAppendTimeMs: at.logAppendTime,
        })),
      };
    case 'append':
      return {
        kind: 'append',
        appended: (result) =>
          admission.appended({ baseOffset: result.baseOffset, logAppendTime: result.logAppendTime }),
        failed: (err) => admission.failed(err),
      };
  }
}
