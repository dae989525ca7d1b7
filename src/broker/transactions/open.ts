// Opening the transaction coordinator inside the broker: its view of topics, producer ids, committed
// offsets and group membership, all through the broker's own subsystems.
import type { Logger } from 'pino';
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { Clock } from '../groups/clock.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import type { OffsetStore } from '../groups/offset-store.ts';
import type { LogFs } from '../log/fs.ts';
import type { Producers } from '../producers/producers.ts';
import type { TopicManager } from '../topics/topic-manager.ts';
import { TransactionCoordinator, type TransactionEnv } from './coordinator.ts';

export interface OpenTransactionsOptions {
  readonly fs: LogFs;
  readonly dataDir: string;
  readonly topics: TopicManager;
  readonly offsets: OffsetStore;
  readonly groups: GroupCoordinator;
  readonly producers: Producers;
  readonly clock: Clock;
  readonly logger: Logger;
}

export function openTransactions(options: OpenTransactionsOptions): Promise<TransactionCoordinator> {
  const { topics, offsets, groups, producers } = options;
  const env: TransactionEnv = {
    partition: (topic, index) => topics.partition(topic, index),
    partitionById: (topicId, index) => topics.getById(topicId)?.partitions[index],
    allocateProducerId: () => producers.ids.allocate(),
    commitOffsets: (group, entries) => offsets.commit(group, entries),
    // Kafka's rules for a transactional commit (KIP-447): a member id, when given, must be a member; a
    // generation, when given (>= 0), must be the group's.
    validateGroupMember(groupId, memberId, generationId) {
      const group = groups.group(groupId);
      if (memberId !== '' && !group?.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (generationId >= 0 && group && generationId !== group.generationId)
        return ErrorCode.ILLEGAL_GENERATION;
      return ErrorCode.NONE;
    },
  };
  return TransactionCoordinator.open({ ...options, env });
}
