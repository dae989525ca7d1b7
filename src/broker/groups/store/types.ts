// The values the offset store keeps: committed offsets and the last persisted metadata of each group. The
// group coordinator builds them from requests; the store persists them as given and hands them back frozen
// (treat them as read-only: the store shares them between readers instead of copying on every read).

export interface CommittedOffset {
  offset: bigint;
  /** -1 when the committer did not say (OffsetCommit before v6). */
  leaderEpoch: number;
  metadata: string | null;
  commitTimestampMs: bigint;
}

export interface StoredGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** The member's metadata for the chosen protocol. */
  subscription: Buffer;
  assignment: Buffer;
}

export interface StoredGroup {
  protocolType: string | null;
  protocolName: string | null;
  generationId: number;
  leaderId: string | null;
  members: StoredGroupMember[];
}

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

/** One change to the store: what an entry of the file records, and what replay applies. */
export type StoreEntry =
  | {
      readonly type: 'offsets';
      readonly group: string;
      readonly offsets: readonly { topic: string; partition: number; value: CommittedOffset }[];
    }
  /** `partitions` undefined: every offset of the group. */
  | {
      readonly type: 'deleteOffsets';
      readonly group: string;
      readonly partitions?: readonly TopicPartitionRef[];
    }
  | { readonly type: 'deleteTopic'; readonly topic: string }
  /** `group` null: the group is gone. */
  | { readonly type: 'group'; readonly groupId: string; readonly group: StoredGroup | null };
