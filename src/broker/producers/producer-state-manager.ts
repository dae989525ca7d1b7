// The idempotent producers the broker knows, per partition: for each (producer id, partition) a
// ProducerWindow. Held in memory (the event loop owns it, no locks), rebuilt on start from a snapshot and
// the log tail (producer-state-rebuild.ts), and bounded by forgetting producers idle longer than the
// expiration (Kafka's producer.id.expiration.ms).
import { ErrorCode } from '../../protocol/error-codes.ts';
import { ProducerWindow, type AppendedAt, type BatchSequence, type WindowBatch } from './producer-window.ts';

/** Identifies a partition across topic deletion and re-creation: the topic id, not its name. */
export type PartitionKey = string;

export function partitionKey(topicId: string, partition: number): PartitionKey {
  return `${topicId}:${partition}`;
}

/** The producer fields of a batch header. */
export interface ProducerBatch extends BatchSequence {
  readonly producerId: bigint;
}

export type Admission =
  /** Not an idempotent batch (producer id -1): append it, nothing to remember. */
  | { kind: 'plain' }
  /** A new batch: append it, then say how the append went. */
  | { kind: 'append'; appended(at: AppendedAt): void; failed(err: unknown): void }
  /** A retry of a remembered batch: answer with its original offset once its append is acknowledged. */
  | { kind: 'duplicate'; original: Promise<AppendedAt> }
  | { kind: 'reject'; errorCode: number; message: string };

/** A batch as it was found in the log, for rebuilding after a restart. */
export interface LoggedProducerBatch extends ProducerBatch {
  readonly baseOffset: bigint;
  readonly logAppendTime: bigint;
}

export interface ProducerStateOptions {
  /** Producers idle longer than this are forgotten. */
  readonly expirationMs: number;
  /** Broker clock (tests pass their own). */
  readonly clock?: () => number;
}

export class ProducerStateManager {
  readonly #partitions = new Map<PartitionKey, Map<bigint, ProducerWindow>>();
  readonly #expirationMs: number;
  readonly #clock: () => number;

  constructor(options: ProducerStateOptions) {
    this.#expirationMs = options.expirationMs;
    this.#clock = options.clock ?? Date.now;
  }

  get expirationMs(): number {
    return this.#expirationMs;
  }

  /** How many (producer, partition) pairs are remembered. */
  get size(): number {
    let n = 0;
    for (const producers of this.#partitions.values()) n += producers.size;
    return n;
  }

  /** The window of `producerId` on a partition, if remembered (tests and snapshots read it). */
  window(key: PartitionKey, producerId: bigint): ProducerWindow | undefined {
    return this.#partitions.get(key)?.get(producerId);
  }

  /** Every remembered producer of a partition. */
  producersOf(key: PartitionKey): ReadonlyMap<bigint, ProducerWindow> {
    return this.#partitions.get(key) ?? new Map();
  }

  #producersFor(key: PartitionKey): Map<bigint, ProducerWindow> {
    let producers = this.#partitions.get(key);
    if (!producers) {
      producers = new Map<bigint, ProducerWindow>();
      this.#partitions.set(key, producers);
    }
    return producers;
  }

  /**
   * Decides on a produced batch, synchronously, right before its append (produce-admission.ts): the
   * verdict and the offsets the append assigns cannot interleave with another request's.
   */
  admit(key: PartitionKey, batch: ProducerBatch): Admission {
    if (batch.producerId < 0n) return { kind: 'plain' };
    if (batch.producerEpoch < 0 || batch.baseSequence < 0) {
      return {
        kind: 'reject',
        errorCode: ErrorCode.INVALID_RECORD,
        message:
          `producer id ${batch.producerId} with epoch ${batch.producerEpoch} and sequence ` +
          `${batch.baseSequence}: an idempotent batch needs both >= 0`,
      };
    }
    const now = this.#clock();
    let window = this.#partitions.get(key)?.get(batch.producerId);
    if (window) {
      const check = window.check(batch);
      if (check.kind === 'reject') return check;
      if (check.kind === 'duplicate') {
        window.lastSeenMs = Math.max(window.lastSeenMs, now);
        return { kind: 'duplicate', original: window.outcome(check.batch) };
      }
    } else {
      // First batch of this producer here (or since it was forgotten): any sequence is accepted, as
      // Kafka and Redpanda do; refusing it (UNKNOWN_PRODUCER_ID) would make clients reset for nothing.
      window = new ProducerWindow(batch.producerEpoch, -1, now);
      this.#producersFor(key).set(batch.producerId, window);
    }
    const admitted = window;
    const entry: WindowBatch = admitted.record(batch, undefined, now);
    return {
      kind: 'append',
      appended: (at) => admitted.appended(entry, at),
      failed: (err) => admitted.failed(entry, err),
    };
  }

  /**
   * Replays a batch found in the log (oldest first). The log is the truth: the batch is remembered
   * whatever its sequence, except one from an epoch older than a later batch already replayed.
   */
  replay(key: PartitionKey, batch: LoggedProducerBatch, seenMs: number): void {
    if (batch.producerId < 0n || batch.producerEpoch < 0 || batch.baseSequence < 0) return;
    const producers = this.#producersFor(key);
    let window = producers.get(batch.producerId);
    if (!window) {
      window = new ProducerWindow(batch.producerEpoch, -1, seenMs);
      producers.set(batch.producerId, window);
    }
    if (batch.producerEpoch < window.epoch) return;
    window.record(batch, { baseOffset: batch.baseOffset, logAppendTime: batch.logAppendTime }, seenMs);
  }

  /** Puts back a producer from a snapshot (its batches all appended). */
  restore(key: PartitionKey, producerId: bigint, window: ProducerWindow): void {
    this.#producersFor(key).set(producerId, window);
  }

  /**
   * Forgets producers idle longer than the expiration (never one with an append in flight: its retry
   * must still find it). Returns how many (producer, partition) pairs went.
   */
  expire(): number {
    const cutoff = this.#clock() - this.#expirationMs;
    let removed = 0;
    for (const [key, producers] of this.#partitions) {
      for (const [id, window] of producers) {
        if (window.lastSeenMs < cutoff && !window.hasAppendsInFlight) {
          producers.delete(id);
          removed += 1;
        }
      }
      if (producers.size === 0) this.#partitions.delete(key);
    }
    return removed;
  }
}
