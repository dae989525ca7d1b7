// The producer-state gate every produced batch passes just before it is appended: where idempotence
// (per-producer sequence windows, duplicates answered with their original offset) and transactions (the
// partition must be in the producer's open transaction) will decide. Produce calls it synchronously,
// right before log.append, so the verdict and the offsets assigned by the append cannot interleave with
// another request's.
//
// Today: no InitProducerId is served, so no producer id is ours to check. Batches with a producer id
// (librdkafka and platformatic can send them) are appended as plain batches. Transactional batches are
// refused with INVALID_TXN_STATE: it is what Kafka answers a transactional write outside an ongoing
// transaction, which is exactly the state of every producer here; every client knows the code (kafkajs
// 2.2.4 included) and treats it as non-retriable, so a producer fails fast instead of retrying forever.
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { RecordBatchHeader } from '../../protocol/record-batch.ts';
import type { AppendResult } from '../log/index.ts';
import type { Partition } from '../topics/topic-manager.ts';

export interface ProducedBatch {
  readonly partition: Partition;
  readonly header: RecordBatchHeader;
  /** The request's transactional id (Produce v3+), null for non-transactional producers. */
  readonly transactionalId: string | null;
}

export type AdmissionVerdict =
  /**
   * Append it. `appended` (when given) learns where it went once the append is acknowledged (after the
   * durability policy; never for a failed append), to remember the sequence and its offset.
   */
  | { kind: 'append'; appended?: (result: AppendResult) => void }
  /** Already appended (an idempotent retry): answer success with the original offset, append nothing. */
  | { kind: 'duplicate'; baseOffset: bigint; logAppendTimeMs: bigint }
  | { kind: 'reject'; errorCode: number; message: string };

export function admitProducedBatch(batch: ProducedBatch): AdmissionVerdict {
  if (batch.header.isTransactional) {
    return {
      kind: 'reject',
      errorCode: ErrorCode.INVALID_TXN_STATE,
      message: 'transactional produce is not supported by this broker yet',
    };
  }
  // Idempotence goes here: check batch.header.producerId/producerEpoch/baseSequence against the
  // partition's window for that producer.
  return { kind: 'append' };
}
