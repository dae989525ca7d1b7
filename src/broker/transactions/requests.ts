// The transactional requests as the coordinator answers them (Kafka's rules, reference §4.12): each checks
// the transactional id, producer id and epoch first, then changes the transaction under the id's lock.
// Epoch errors are version-gated: PRODUCER_FENCED where the request version knows it, else
// INVALID_PRODUCER_EPOCH (kafkajs 2.2.4 does not know code 90).
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { Clock } from '../groups/clock.ts';
import { partitionKey } from '../producers/producer-state-manager.ts';
import type { Partition } from '../topics/topic-manager.ts';
import type { TransactionCoordinator, TransactionEnv } from './coordinator.ts';
import { stagedOffsetKey, type Transaction } from './transaction.ts';

export interface ProducerIdentity {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export interface TopicPartitionCodes {
  name: string;
  partitions: { partitionIndex: number; errorCode: number }[];
}

export interface StagedCommit {
  readonly groupId: string;
  readonly memberId: string;
  readonly generationId: number;
  readonly topics: readonly {
    name: string;
    partitions: readonly {
      partitionIndex: number;
      committedOffset: bigint;
      committedLeaderEpoch: number;
      committedMetadata: string | null;
    }[];
  }[];
}

const MAX_METADATA_LENGTH = 4096;

export class TransactionRequests {
  readonly #coordinator: TransactionCoordinator;
  readonly #env: TransactionEnv;
  readonly #clock: Clock;

  constructor(coordinator: TransactionCoordinator, env: TransactionEnv, clock: Clock) {
    this.#coordinator = coordinator;
    this.#env = env;
    this.#clock = clock;
  }

  /**
   * InitProducerId with a transactional id. `current` (v3+, KIP-360) is the caller's producer id and epoch
   * when it has one. Returns an error code, or the producer id and epoch to use.
   */
  async initProducerId(
    transactionalId: string,
    timeoutMs: number,
    current: { producerId: bigint; producerEpoch: number } | undefined,
    fencedCode: boolean,
  ): Promise<{ errorCode: number; producerId: bigint; producerEpoch: number }> {
    const fail = (errorCode: number) => ({ errorCode, producerId: -1n, producerEpoch: -1 });
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > this.#coordinator.maxTimeoutMs)
      return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const c = this.#coordinator;
    return c.serially(transactionalId, async () => {
      let txn = c.get(transactionalId);
      if (!txn) {
        txn = await c.create(transactionalId, timeoutMs);
        return { errorCode: ErrorCode.NONE, producerId: txn.producerId, producerEpoch: txn.producerEpoch };
      }
      // platformatic sends id 0, epoch 0 on every call, meaning "none": not a claim to be producer 0.
      const platformaticNone =
        current?.producerId === 0n && current.producerEpoch === 0 && txn.producerId !== 0n;
      if (current && current.producerId >= 0n && !platformaticNone) {
        if (current.producerId !== txn.producerId) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
        if (current.producerEpoch !== txn.producerEpoch) return fail(fenced(fencedCode));
      }
      await c.bumpEpochOrId(txn);
      txn.timeoutMs = timeoutMs;
      // An open transaction of the previous producer is aborted under the new epoch: its markers fence it.
      if (txn.status !== 'Empty') await c.end(txn, txn.status === 'PrepareCommit' ? 'commit' : 'abort');
      else await c.persist();
      return { errorCode: ErrorCode.NONE, producerId: txn.producerId, producerEpoch: txn.producerEpoch };
    });
  }

  /** The transaction these producer fields may act on, or the error code that says why not. */
  #check(who: ProducerIdentity, fencedCode: boolean): Transaction | number {
    const txn = this.#coordinator.get(who.transactionalId);
    if (!txn || txn.producerId !== who.producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (txn.producerEpoch !== who.producerEpoch) return fenced(fencedCode);
    if (txn.status === 'PrepareCommit' || txn.status === 'PrepareAbort')
      return ErrorCode.CONCURRENT_TRANSACTIONS;
    return txn;
  }

  #open(txn: Transaction): void {
    if (txn.status === 'Empty') {
      txn.status = 'Ongoing';
      txn.startedAtMs = this.#clock.now();
    }
  }

  /** AddPartitionsToTxn v0-3: one code per partition. */
  addPartitions(
    who: ProducerIdentity,
    topics: readonly { name: string; partitions: readonly number[] }[],
    fencedCode: boolean,
  ): Promise<TopicPartitionCodes[]> {
    const c = this.#coordinator;
    const codes = (code: (topic: string, p: number) => number) =>
      topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p, errorCode: code(t.name, p) })),
      }));
    return c.serially(who.transactionalId, async () => {
      const txn = this.#check(who, fencedCode);
      if (typeof txn === 'number') return codes(() => txn);
      const found = new Map<string, Partition>();
      let unknown = false;
      for (const t of topics) {
        for (const p of t.partitions) {
          const partition = this.#env.partition(t.name, p);
          if (partition) found.set(`${t.name}\0${p}`, partition);
          else unknown = true;
        }
      }
      if (unknown) {
        return codes((t, p) =>
          found.has(`${t}\0${p}`) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        );
      }
      let changed = txn.status === 'Empty';
      this.#open(txn);
      for (const partition of found.values()) {
        const key = partitionKey(partition.topic.id, partition.index);
        if (txn.partitions.has(key)) continue;
        txn.partitions.set(key, {
          topicId: partition.topic.id,
          topic: partition.topic.name,
          partition: partition.index,
          addedAt: partition.log.logEndOffset,
          recovered: false,
        });
        changed = true;
      }
      // Durable before the answer: after a crash, the abort must reach every partition written to.
      if (changed) await c.persist();
      return codes(() => ErrorCode.NONE);
    });
  }

  /** AddOffsetsToTxn v0-3. */
  addOffsets(who: ProducerIdentity, groupId: string, fencedCode: boolean): Promise<number> {
    const c = this.#coordinator;
    return c.serially(who.transactionalId, async () => {
      const txn = this.#check(who, fencedCode);
      if (typeof txn === 'number') return txn;
      if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
      this.#open(txn);
      if (!txn.groups.has(groupId)) {
        txn.groups.add(groupId);
        await c.persist();
      }
      return ErrorCode.NONE;
    });
  }

  /**
   * TxnOffsetCommit v0-4: stages the offsets in the transaction (visible to OffsetFetch once it commits).
   * v3+ carries the consumer's member id and generation, checked against the group (KIP-447).
   */
  txnOffsetCommit(who: ProducerIdentity, commit: StagedCommit): Promise<TopicPartitionCodes[]> {
    return this.#coordinator.serially(who.transactionalId, () => Promise.resolve(this.#stage(who, commit)));
  }

  #stage(who: ProducerIdentity, commit: StagedCommit): TopicPartitionCodes[] {
    const codes = (code: (topic: string, p: number, metadata: string | null) => number) =>
      commit.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: code(t.name, p.partitionIndex, p.committedMetadata),
        })),
      }));
    const txn = this.#check(who, false);
    if (typeof txn === 'number') return codes(() => txn);
    if (txn.status !== 'Ongoing' || !txn.groups.has(commit.groupId))
      return codes(() => ErrorCode.INVALID_TXN_STATE);
    const groupCode = this.#env.validateGroupMember(commit.groupId, commit.memberId, commit.generationId);
    if (groupCode !== ErrorCode.NONE) return codes(() => groupCode);
    const results = codes((topic, p, metadata) => {
      if (!this.#env.partition(topic, p)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      if (metadata !== null && metadata.length > MAX_METADATA_LENGTH)
        return ErrorCode.OFFSET_METADATA_TOO_LARGE;
      return ErrorCode.NONE;
    });
    for (const [ti, t] of commit.topics.entries()) {
      for (const [pi, p] of t.partitions.entries()) {
        if (results[ti].partitions[pi].errorCode !== ErrorCode.NONE) continue;
        txn.offsets.set(stagedOffsetKey(commit.groupId, t.name, p.partitionIndex), {
          group: commit.groupId,
          topic: t.name,
          partition: p.partitionIndex,
          value: {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata: p.committedMetadata,
          },
        });
      }
    }
    return results;
  }

  /** EndTxn v0-4. A retry of the transaction that just ended the same way succeeds again. */
  endTxn(who: ProducerIdentity, commit: boolean, fencedCode: boolean): Promise<number> {
    const c = this.#coordinator;
    const outcome = commit ? 'commit' : 'abort';
    return c.serially(who.transactionalId, async () => {
      const txn = c.get(who.transactionalId);
      if (!txn || txn.producerId !== who.producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
      if (txn.producerEpoch !== who.producerEpoch) return fenced(fencedCode);
      if (txn.status === 'Empty')
        return txn.lastResult === outcome ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
      const decided =
        txn.status === 'PrepareCommit' ? 'commit' : txn.status === 'PrepareAbort' ? 'abort' : null;
      if (decided !== null && decided !== outcome) return ErrorCode.INVALID_TXN_STATE;
      await c.end(txn, outcome);
      return ErrorCode.NONE;
    });
  }

  /**
   * The transactional check of a produced batch, synchronous (produce-admission.ts): undefined to go on,
   * else the rejection. A transactional batch needs the id's current producer and epoch and a partition
   * added to its open transaction; a plain batch from a producer with an open transaction is refused.
   */
  checkProduce(
    transactionalId: string | null,
    batch: { isTransactional: boolean; producerId: bigint; producerEpoch: number },
    partition: Partition,
  ): { errorCode: number; message: string } | undefined {
    const c = this.#coordinator;
    if (!batch.isTransactional) {
      const owner = batch.producerId >= 0n ? c.byProducerId(batch.producerId) : undefined;
      if (owner && owner.status !== 'Empty') {
        return {
          errorCode: ErrorCode.INVALID_TXN_STATE,
          message: 'a non-transactional batch inside a transaction',
        };
      }
      return undefined;
    }
    if (transactionalId === null)
      return {
        errorCode: ErrorCode.INVALID_TXN_STATE,
        message: 'a transactional batch without a transactional id',
      };
    const txn = c.get(transactionalId);
    if (!txn || txn.producerId !== batch.producerId) {
      return {
        errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING,
        message: `producer id ${batch.producerId} is not the one of transactional id ${transactionalId}`,
      };
    }
    if (txn.producerEpoch !== batch.producerEpoch) {
      return {
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `epoch ${batch.producerEpoch}, transactional id ${transactionalId} is at ${txn.producerEpoch}`,
      };
    }
    if (txn.status !== 'Ongoing' || !txn.partitions.has(partitionKey(partition.topic.id, partition.index))) {
      return {
        errorCode: ErrorCode.INVALID_TXN_STATE,
        message: 'partition not added to the open transaction',
      };
    }
    return undefined;
  }

  /** A transactional batch admitted by checkProduce is appended at `offset`. */
  noteAppend(producerId: bigint, partition: Partition, offset: bigint): void {
    this.#coordinator.partitions.noteTransactionalAppend(
      partition.topic.id,
      partition.index,
      producerId,
      offset,
    );
  }
}

function fenced(fencedCode: boolean): number {
  return fencedCode ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH;
}
