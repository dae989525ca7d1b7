// The producer-state gate every produced batch passes just before it is appended: idempotence (per
// producer and partition sequence windows, retries answered with their original offset, see
// ../producers/) and, later, transactions. Produce calls it synchronously, right before log.append, so
// the verdict and the offsets assigned by the append cannot interleave with another request's.
//
// Transactional batches are refused with INVALID_TXN_STATE: no transaction can be open here (InitProducerId
// refuses transactional ids), which is what Kafka answers a transactional write outside an ongoing
// transaction; every client knows the code (kafkajs 2.2.4 included) and treats it as non-retriable, so a
// producer fails fast instead of retrying forever.
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { RecordBatchHeader } from '../../protocol/record-batch.ts';
import type { AppendResult } from '../log/index.ts';
import { partitionKey, type ProducerStateManager } from '../producers/producer-state-manager.ts';
import type { Partition } from '../topics/topic-manager.ts';

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

export function admitProducedBatch(producers: ProducerStateManager, batch: ProducedBatch): AdmissionVerdict {
  const { header, partition } = batch;
  if (header.isTransactional) {
    return {
      kind: 'reject',
      errorCode: ErrorCode.INVALID_TXN_STATE,
      message: 'transactional produce is not supported by this broker yet',
    };
  }
  const admission = producers.admit(partitionKey(partition.topic.id, partition.index), header);
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
