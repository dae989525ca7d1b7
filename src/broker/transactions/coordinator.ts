// The transaction coordinator (Kafka's, for one broker): a registry of transactional ids, each with its
// producer id and epoch and at most one open transaction. InitProducerId bumps the epoch (fencing the
// previous producer of the id) and aborts a transaction left open; AddPartitionsToTxn / AddOffsetsToTxn
// open it; TxnOffsetCommit stages offsets; EndTxn writes the decision durably (PrepareCommit /
// PrepareAbort), then the markers, then applies staged offsets on commit, and only then answers, so a
// transaction is never left half-ended for a client to trip over (no CONCURRENT_TRANSACTIONS). A
// transaction open longer than its timeout is aborted and its epoch bumped. Operations on one
// transactional id run one at a time. After a restart, a decided transaction is completed and an open one
// aborted before the broker takes requests (open()).
import type { Logger } from 'pino';
import type { Clock } from '../groups/clock.ts';
import type { CommittedOffset } from '../groups/offset-store.ts';
import type { LogFs } from '../log/fs.ts';
import type { Partition } from '../topics/topic-manager.ts';
import { writeMarkers } from './markers.ts';
import { PartitionTransactions } from './partition-transactions.ts';
import { TransactionRequests } from './requests.ts';
import {
  loadTransaction,
  newTransaction,
  resetTransaction,
  storeTransaction,
  type Transaction,
} from './transaction.ts';
import { TransactionStateWriter, readTransactionState, type StoredState } from './transaction-store.ts';

/** Kafka's transaction.max.timeout.ms default. */
export const DEFAULT_MAX_TRANSACTION_TIMEOUT_MS = 900_000;
/** The highest producer epoch; past it the transactional id gets a new producer id at epoch 0. */
const MAX_EPOCH = 32_766;
const TIMEOUT_CHECK_MS = 1000;

export interface TransactionEnv {
  partition(topic: string, index: number): Partition | undefined;
  partitionById(topicId: string, index: number): Partition | undefined;
  allocateProducerId(): Promise<bigint>;
  commitOffsets(
    group: string,
    entries: { topic: string; partition: number; value: CommittedOffset }[],
  ): Promise<void>;
  /** TxnOffsetCommit v3+: the group's verdict on a member and generation (NONE when not a member check). */
  validateGroupMember(group: string, memberId: string, generationId: number): number;
}

export interface TransactionCoordinatorOptions {
  readonly fs: LogFs;
  readonly dataDir: string;
  readonly env: TransactionEnv;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxTimeoutMs?: number;
}

export class TransactionEndError extends Error {}

export class TransactionCoordinator {
  readonly partitions = new PartitionTransactions();
  readonly requests: TransactionRequests;
  readonly #byId = new Map<string, Transaction>();
  readonly #byProducerId = new Map<bigint, Transaction>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #options: TransactionCoordinatorOptions;
  readonly #writer: TransactionStateWriter;
  #timer: unknown;
  #closed = false;

  private constructor(options: TransactionCoordinatorOptions) {
    this.#options = options;
    this.#writer = new TransactionStateWriter(options.fs, options.dataDir, () => this.#snapshot());
    this.requests = new TransactionRequests(this, options.env, options.clock);
  }

  get maxTimeoutMs(): number {
    return this.#options.maxTimeoutMs ?? DEFAULT_MAX_TRANSACTION_TIMEOUT_MS;
  }

  /**
   * Reads the stored state, then ends what a crash left unfinished: a decided transaction is completed
   * (markers, and offsets on commit), an open one aborted with its epoch bumped (so its producer, if it is
   * still alive, is fenced rather than carrying on with half a transaction).
   */
  static async open(options: TransactionCoordinatorOptions): Promise<TransactionCoordinator> {
    const coordinator = new TransactionCoordinator(options);
    const stored = await readTransactionState(options.fs, options.dataDir);
    for (const s of stored.transactions) coordinator.#add(loadTransaction(s));
    for (const a of stored.aborted) {
      coordinator.partitions.restoreAborted(a.topicId, a.partition, {
        producerId: BigInt(a.producerId),
        firstOffset: BigInt(a.firstOffset),
        lastOffset: BigInt(a.lastOffset),
      });
    }
    for (const txn of coordinator.#byId.values()) {
      if (txn.status === 'Empty') continue;
      const outcome = txn.status === 'PrepareCommit' ? 'commit' : 'abort';
      if (txn.status === 'Ongoing') coordinator.bumpEpoch(txn);
      options.logger.info(
        { transactionalId: txn.transactionalId, was: txn.status, outcome },
        'ending a transaction the previous run left unfinished',
      );
      await coordinator.end(txn, outcome);
    }
    coordinator.#scheduleTimeoutCheck();
    return coordinator;
  }

  #add(txn: Transaction): void {
    this.#byId.set(txn.transactionalId, txn);
    this.#byProducerId.set(txn.producerId, txn);
  }

  get(transactionalId: string): Transaction | undefined {
    return this.#byId.get(transactionalId);
  }

  /** The transactional id whose current producer id this is. */
  byProducerId(producerId: bigint): Transaction | undefined {
    return this.#byProducerId.get(producerId);
  }

  /** A new transactional id, persisted. */
  async create(transactionalId: string, timeoutMs: number): Promise<Transaction> {
    const txn = newTransaction(transactionalId, await this.#options.env.allocateProducerId(), timeoutMs);
    this.#add(txn);
    await this.persist();
    return txn;
  }

  /** Fences the current producer: epoch + 1, or a new producer id once the epoch is exhausted. */
  async bumpEpochOrId(txn: Transaction): Promise<void> {
    if (txn.producerEpoch >= MAX_EPOCH) {
      const id = await this.#options.env.allocateProducerId();
      this.#byProducerId.delete(txn.producerId);
      txn.producerId = id;
      txn.producerEpoch = 0;
      this.#byProducerId.set(id, txn);
    } else {
      txn.producerEpoch += 1;
    }
  }

  /** Epoch + 1 for an abort the producer did not ask for (timeout, restart): its markers carry it. */
  bumpEpoch(txn: Transaction): void {
    if (txn.producerEpoch < MAX_EPOCH + 1) txn.producerEpoch += 1;
  }

  /** Runs `task` after every earlier operation on the same transactional id. */
  serially<T>(transactionalId: string, task: () => Promise<T>): Promise<T> {
    const before = this.#locks.get(transactionalId) ?? Promise.resolve();
    const run = before.then(task, task);
    const tail = run.catch(() => undefined);
    this.#locks.set(transactionalId, tail);
    void tail.then(() => {
      if (this.#locks.get(transactionalId) === tail) this.#locks.delete(transactionalId);
    });
    return run;
  }

  /**
   * Ends the open transaction: the decision durable first, then the markers, then (commit) the staged
   * offsets, then Empty, durable. Throws TransactionEndError when a step failed; the decision stays
   * stored, so a retried EndTxn or the next start finishes it.
   */
  async end(txn: Transaction, outcome: 'commit' | 'abort'): Promise<void> {
    const { env, logger, clock } = this.#options;
    txn.status = outcome === 'commit' ? 'PrepareCommit' : 'PrepareAbort';
    await this.persist();
    const marked = await writeMarkers(
      {
        partitions: this.partitions,
        partitionById: (id, i) => env.partitionById(id, i),
        now: () => clock.now(),
      },
      txn,
      outcome,
    );
    if (marked.skipped.length > 0)
      logger.info(
        { transactionalId: txn.transactionalId, partitions: marked.skipped },
        'no marker: topic gone',
      );
    if (marked.failed.length > 0) {
      const first = marked.failed[0];
      throw new TransactionEndError(
        `${outcome} markers of ${txn.transactionalId} failed on ${marked.failed.map((f) => f.where).join(', ')}: ` +
          (first.err as Error).message,
      );
    }
    if (outcome === 'commit') await this.#applyOffsets(txn);
    resetTransaction(txn, outcome);
    await this.persist();
  }

  async #applyOffsets(txn: Transaction): Promise<void> {
    const byGroup = new Map<string, { topic: string; partition: number; value: CommittedOffset }[]>();
    const now = BigInt(this.#options.clock.now());
    for (const o of txn.offsets.values()) {
      const entries = byGroup.get(o.group) ?? [];
      entries.push({ topic: o.topic, partition: o.partition, value: { ...o.value, commitTimestampMs: now } });
      byGroup.set(o.group, entries);
    }
    for (const [group, entries] of byGroup) await this.#options.env.commitOffsets(group, entries);
  }

  /** Whether an open transaction has staged an offset for this group and partition (require_stable). */
  hasPendingOffset(group: string, topic: string, partition: number): boolean {
    for (const txn of this.#byId.values()) {
      if (txn.status === 'Empty') continue;
      for (const o of txn.offsets.values())
        if (o.group === group && o.topic === topic && o.partition === partition) return true;
    }
    return false;
  }

  /** Aborts (and fences) every transaction open longer than its timeout. */
  async abortExpired(): Promise<number> {
    const now = this.#options.clock.now();
    const expired = [...this.#byId.values()].filter(
      (t) => t.status === 'Ongoing' && now - t.startedAtMs > t.timeoutMs,
    );
    await Promise.all(
      expired.map((txn) =>
        this.serially(txn.transactionalId, async () => {
          if (txn.status !== 'Ongoing' || this.#options.clock.now() - txn.startedAtMs <= txn.timeoutMs)
            return;
          this.#options.logger.info(
            { transactionalId: txn.transactionalId, timeoutMs: txn.timeoutMs },
            'transaction timed out: aborting it and fencing its producer',
          );
          this.bumpEpoch(txn);
          await this.end(txn, 'abort').catch((err: unknown) =>
            this.#options.logger.error({ err, transactionalId: txn.transactionalId }, 'timeout abort failed'),
          );
        }),
      ),
    );
    return expired.length;
  }

  #scheduleTimeoutCheck(): void {
    if (this.#closed) return;
    const { clock } = this.#options;
    this.#timer = clock.setTimeout(() => {
      void this.abortExpired().finally(() => this.#scheduleTimeoutCheck());
    }, TIMEOUT_CHECK_MS);
  }

  persist(): Promise<void> {
    return this.#writer.persist();
  }

  #snapshot(): StoredState {
    const { env } = this.#options;
    const aborted = this.partitions.prune(
      (topicId, index) => env.partitionById(topicId, index)?.log.logStartOffset,
    );
    return {
      transactions: [...this.#byId.values()].map(storeTransaction),
      aborted: aborted.map(({ topicId, partition, range }) => ({
        topicId,
        partition,
        producerId: String(range.producerId),
        firstOffset: String(range.firstOffset),
        lastOffset: String(range.lastOffset),
      })),
    };
  }

  /** Stops the timeout check and waits for the operations in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    await Promise.all([...this.#locks.values()]);
  }
}
