// Committed offsets of the groups: OffsetCommit (with the group's membership checks), OffsetFetch and
// OffsetDelete, over the durable offset store. The store holds the offsets; a group only decides who may
// commit (its current members, or anyone while it has none) and what may be deleted.
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { Clock } from './clock.ts';
import type { Group } from './group.ts';
import type { CommittedOffset, GroupStore } from './group-store.ts';
import { subscribedTopics } from './subscription.ts';

export type PartitionExists = (topic: string, partition: number) => boolean;

/** Kafka's offset.metadata.max.bytes default: longer commit metadata is refused. */
export const MAX_OFFSET_METADATA_LENGTH = 4096;

export interface TopicPartitions<P> {
  readonly name: string;
  readonly partitions: readonly P[];
}

export interface CommitRequest {
  readonly groupId: string;
  /** Below 0: a "simple" commit from a client that does not use the group's membership. */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly topics: readonly TopicPartitions<{
    partitionIndex: number;
    offset: bigint;
    leaderEpoch: number;
    metadata: string | null;
  }>[];
}

/** Per-topic results, in request order. */
export interface TopicResults<P> {
  name: string;
  partitions: P[];
}

export interface PartitionCode {
  partitionIndex: number;
  errorCode: number;
}

export interface FetchedOffset {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface OffsetCommandsEnv {
  readonly store: GroupStore;
  readonly clock: Clock;
  readonly partitionExists: PartitionExists;
  lookup(groupId: string): Group | undefined;
  create(groupId: string): Group;
  validateCommit(
    group: Group,
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
  ): number;
  storeErrorCode(err: unknown): number;
  closed(): boolean;
}

export class OffsetCommands {
  readonly #env: OffsetCommandsEnv;

  constructor(env: OffsetCommandsEnv) {
    this.#env = env;
  }

  /** One code per partition, in request order; resolves once the accepted offsets are durable. */
  async commit(req: CommitRequest): Promise<TopicResults<PartitionCode>[]> {
    const groupCode = this.#checkCommitter(req);
    const now = BigInt(this.#env.clock.now());
    const accepted: { topic: string; partition: number; value: CommittedOffset }[] = [];
    const results = req.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((p) => {
        let errorCode = groupCode;
        if (errorCode === ErrorCode.NONE) {
          if (!this.#env.partitionExists(topic.name, p.partitionIndex))
            errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          else if (p.metadata !== null && p.metadata.length > MAX_OFFSET_METADATA_LENGTH) {
            errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
          } else {
            accepted.push({
              topic: topic.name,
              partition: p.partitionIndex,
              value: {
                offset: p.offset,
                leaderEpoch: p.leaderEpoch,
                metadata: p.metadata,
                commitTimestampMs: now,
              },
            });
          }
        }
        return { partitionIndex: p.partitionIndex, errorCode };
      }),
    }));
    if (accepted.length === 0) return results;
    try {
      await this.#env.store.commit(req.groupId, accepted);
    } catch (err) {
      const code = this.#env.storeErrorCode(err);
      for (const topic of results)
        for (const p of topic.partitions) if (p.errorCode === ErrorCode.NONE) p.errorCode = code;
    }
    return results;
  }

  /** Kafka's rules: a group without members takes "simple" commits (generation < 0); else a current member. */
  #checkCommitter(req: CommitRequest): number {
    if (this.#env.closed()) return ErrorCode.NOT_COORDINATOR;
    let group = this.#env.lookup(req.groupId);
    if (!group) {
      if (req.generationId >= 0) return ErrorCode.ILLEGAL_GENERATION;
      group = this.#env.create(req.groupId);
    }
    return this.#env.validateCommit(group, req.memberId, req.groupInstanceId, req.generationId);
  }

  /**
   * The committed offsets of the partitions asked for (null = every committed one). A partition without one,
   * or an unknown group, is offset -1 with no error, as Kafka answers: consumers then apply their reset policy.
   */
  fetch(groupId: string, topics: readonly TopicPartitions<number>[] | null): TopicResults<FetchedOffset>[] {
    const { store } = this.#env;
    const fetched = (partitionIndex: number, value: CommittedOffset | undefined): FetchedOffset => ({
      partitionIndex,
      committedOffset: value?.offset ?? -1n,
      committedLeaderEpoch: value?.leaderEpoch ?? -1,
      // Kafka keeps a null commit metadata as "" and answers "" for a missing offset.
      metadata: value?.metadata ?? '',
      errorCode: ErrorCode.NONE,
    });
    if (topics === null) {
      return [...store.offsets(groupId)].map(([name, partitions]) => ({
        name,
        partitions: [...partitions].sort(([a], [b]) => a - b).map(([p, value]) => fetched(p, value)),
      }));
    }
    return topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => fetched(p, store.offset(groupId, t.name, p))),
    }));
  }

  /**
   * OffsetDelete: an empty group's offsets can go; a consumer group with members keeps the offsets of the
   * topics its members subscribe to (GROUP_SUBSCRIBED_TO_TOPIC); a non-consumer group with members refuses.
   */
  async deleteOffsets(
    groupId: string,
    topics: readonly TopicPartitions<number>[],
  ): Promise<{ errorCode: number; topics: TopicResults<PartitionCode>[] }> {
    if (this.#env.closed()) return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    const group = this.#env.lookup(groupId);
    if (!group || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    let subscribed: ReadonlySet<string> | 'all' = new Set();
    if (!group.is('Empty')) {
      if (group.protocolType !== 'consumer') return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
      subscribed = subscriptionsOf(group);
    }
    const deleting: { topic: string; partition: number }[] = [];
    const results = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((partitionIndex) => {
        let errorCode: number = ErrorCode.NONE;
        if (!this.#env.partitionExists(t.name, partitionIndex))
          errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (subscribed === 'all' || subscribed.has(t.name))
          errorCode = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC;
        else deleting.push({ topic: t.name, partition: partitionIndex });
        return { partitionIndex, errorCode };
      }),
    }));
    if (deleting.length === 0) return { errorCode: ErrorCode.NONE, topics: results };
    try {
      await this.#env.store.deleteOffsets(groupId, deleting);
    } catch (err) {
      const code = this.#env.storeErrorCode(err);
      for (const t of results)
        for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) p.errorCode = code;
    }
    return { errorCode: ErrorCode.NONE, topics: results };
  }
}

/**
 * Topics the members subscribe to, from their consumer-protocol metadata (every protocol they offer: the
 * subscription is the same in each). A member whose metadata cannot be read could be subscribed to
 * anything, so then every topic counts as subscribed: refusing a deletion is the safe mistake.
 */
function subscriptionsOf(group: Group): ReadonlySet<string> | 'all' {
  const topics = new Set<string>();
  for (const member of group.members.values()) {
    for (const protocol of member.protocols) {
      const subscribed = subscribedTopics(protocol.metadata);
      if (subscribed === undefined) return 'all';
      for (const topic of subscribed) topics.add(topic);
    }
  }
  return topics;
}
