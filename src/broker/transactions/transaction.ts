// One transactional id as the coordinator holds it in memory, and its conversion to and from the stored
// form (transaction-store.ts).
import type { CommittedOffset } from '../groups/offset-store.ts';
import { partitionKey, type PartitionKey } from '../producers/producer-state-manager.ts';
import type { StoredTransaction, TransactionStatus } from './transaction-store.ts';

export interface TransactionPartition {
  readonly topicId: string;
  readonly topic: string;
  readonly partition: number;
  /** The partition's log end offset when it joined: no batch of this transaction lies below it. */
  readonly addedAt: bigint;
  /**
   * Read back after a restart: where the transaction's first batch went is no longer known, so an abort
   * counts from addedAt.
   */
  readonly recovered: boolean;
}

export interface StagedOffset {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly value: Omit<CommittedOffset, 'commitTimestampMs'>;
}

export interface Transaction {
  readonly transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  status: TransactionStatus;
  startedAtMs: number;
  lastResult: 'commit' | 'abort' | null;
  readonly partitions: Map<PartitionKey, TransactionPartition>;
  readonly groups: Set<string>;
  /** Offsets staged by TxnOffsetCommit, keyed by group, topic and partition: applied on commit only. */
  readonly offsets: Map<string, StagedOffset>;
}

export function stagedOffsetKey(group: string, topic: string, partition: number): string {
  return JSON.stringify([group, topic, partition]);
}

export function newTransaction(transactionalId: string, producerId: bigint, timeoutMs: number): Transaction {
  return {
    transactionalId,
    producerId,
    producerEpoch: 0,
    timeoutMs,
    status: 'Empty',
    startedAtMs: 0,
    lastResult: null,
    partitions: new Map(),
    groups: new Set(),
    offsets: new Map(),
  };
}

/** Forgets the finished transaction's partitions, groups and offsets. */
export function resetTransaction(txn: Transaction, result: 'commit' | 'abort' | null): void {
  txn.status = 'Empty';
  txn.startedAtMs = 0;
  txn.lastResult = result;
  txn.partitions.clear();
  txn.groups.clear();
  txn.offsets.clear();
}

export function storeTransaction(txn: Transaction): StoredTransaction {
  return {
    transactionalId: txn.transactionalId,
    producerId: String(txn.producerId),
    producerEpoch: txn.producerEpoch,
    timeoutMs: txn.timeoutMs,
    status: txn.status,
    startedAtMs: txn.startedAtMs,
    lastResult: txn.lastResult,
    partitions: [...txn.partitions.values()].map((p) => ({
      topicId: p.topicId,
      topic: p.topic,
      partition: p.partition,
      addedAt: String(p.addedAt),
    })),
    groups: [...txn.groups],
    offsets: [...txn.offsets.values()].map((o) => ({
      group: o.group,
      topic: o.topic,
      partition: o.partition,
      offset: String(o.value.offset),
      leaderEpoch: o.value.leaderEpoch,
      metadata: o.value.metadata,
    })),
  };
}

export function loadTransaction(stored: StoredTransaction): Transaction {
  const txn = newTransaction(stored.transactionalId, BigInt(stored.producerId), stored.timeoutMs);
  txn.producerEpoch = stored.producerEpoch;
  txn.status = stored.status;
  txn.startedAtMs = stored.startedAtMs;
  txn.lastResult = stored.lastResult;
  for (const p of stored.partitions) {
    txn.partitions.set(partitionKey(p.topicId, p.partition), {
      topicId: p.topicId,
      topic: p.topic,
      partition: p.partition,
      addedAt: BigInt(p.addedAt),
      recovered: true,
    });
  }
  for (const g of stored.groups) txn.groups.add(g);
  for (const o of stored.offsets) {
    txn.offsets.set(stagedOffsetKey(o.group, o.topic, o.partition), {
      group: o.group,
      topic: o.topic,
      partition: o.partition,
      value: { offset: BigInt(o.offset), leaderEpoch: o.leaderEpoch, metadata: o.metadata },
    });
  }
  return txn;
}
