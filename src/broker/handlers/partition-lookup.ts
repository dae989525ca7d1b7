// What the data-path handlers (Produce, Fetch, ListOffsets, OffsetForLeaderEpoch, DeleteRecords) share:
// finding a requested partition or the error code that says why it can't be found, the leader-epoch
// fence, and turning a log error into the Kafka error code the client gets for that partition.
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { BrokerContext } from '../broker-context.ts';
import { LogError } from '../log/index.ts';
import type { Partition } from '../topics/topic-manager.ts';

export type PartitionLookup = { partition: Partition; errorCode?: undefined } | { errorCode: number };

/** The partition `index` of the topic named `name`, or UNKNOWN_TOPIC_OR_PARTITION. */
export function partitionByName(broker: BrokerContext, name: string, index: number): PartitionLookup {
  const partition = broker.topics.get(name)?.partitions[index];
  return partition ? { partition } : { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
}

/**
 * Kafka's fence on a client's view of the leader (KIP-320): -1 skips the check, an older epoch is
 * FENCED_LEADER_EPOCH (the client must refresh metadata), a newer one UNKNOWN_LEADER_EPOCH.
 */
export function leaderEpochError(currentLeaderEpoch: number, partition: Partition): number {
  if (currentLeaderEpoch === -1 || currentLeaderEpoch === partition.leaderEpoch) return ErrorCode.NONE;
  return currentLeaderEpoch < partition.leaderEpoch
    ? ErrorCode.FENCED_LEADER_EPOCH
    : ErrorCode.UNKNOWN_LEADER_EPOCH;
}

/**
 * The error code for a failed log operation. Log errors name their code; anything else is a bug, logged
 * here and answered with UNKNOWN_SERVER_ERROR for that partition only.
 */
export function errorCodeOf(broker: BrokerContext, err: unknown, what: Record<string, unknown>): number {
  if (err instanceof LogError) {
    if (err.kafkaError === 'KAFKA_STORAGE_ERROR')
      broker.logger.warn({ ...what, err: err.message }, 'partition log error');
    return ErrorCode[err.kafkaError];
  }
  broker.logger.error({ ...what, err }, 'unexpected error on the data path');
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}
