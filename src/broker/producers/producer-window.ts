// The idempotence rules for one producer on one partition (reference §4.11, Kafka's ProducerAppendInfo):
// the producer's epoch, the last sequence admitted, and the last five batches (librdkafka's maximum in
// flight with idempotence), so a retry of any of them is recognised and answered with its original offset.
//
// A batch is recorded here when it is admitted, synchronously and before its append has finished: with
// batches pipelined from one producer, the next one must be checked against this one's sequence at once,
// not after an fsync. Its offset is filled in when the append is acknowledged; until then a retry of it
// waits for that outcome (answering earlier would acknowledge data that may never become durable).
import { ErrorCode } from '../../protocol/error-codes.ts';

/** Sequences are int32 and wrap from INT32_MAX to 0 (Kafka's DefaultRecordBatch.incrementSequence). */
const SEQUENCE_MODULUS = 2 ** 31;
/** Batches remembered per producer and partition. */
export const WINDOW_SIZE = 5;

/** `seq` advanced by `n`, wrapping past INT32_MAX to 0. */
export function addSequence(seq: number, n: number): number {
  return (((seq + n) % SEQUENCE_MODULUS) + SEQUENCE_MODULUS) % SEQUENCE_MODULUS;
}

/** Where a batch went once its append was acknowledged. */
export interface AppendedAt {
  baseOffset: bigint;
  /** The broker time stamped on the batch (LogAppendTime topics), else -1. */
  logAppendTime: bigint;
}

export interface WindowBatch {
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** undefined while the append is in flight. */
  appendedAt: AppendedAt | undefined;
  /** Retries that arrived while the append was in flight, settled with its outcome. */
  readonly waiters: { resolve: (at: AppendedAt) => void; reject: (err: unknown) => void }[];
}

/** The sequence-relevant fields of a produced batch. */
export interface BatchSequence {
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly lastOffsetDelta: number;
}

export type SequenceCheck =
  | { kind: 'new' }
  | { kind: 'duplicate'; batch: WindowBatch }
  | { kind: 'reject'; errorCode: number; message: string };

export class ProducerWindow {
  epoch: number;
  /** The sequence of the last record admitted (in flight or appended). */
  lastSeq: number;
  /** Broker clock of the last admission: producers idle past the expiration are forgotten. */
  lastSeenMs: number;
  /** Oldest first, at most WINDOW_SIZE. */
  readonly batches: WindowBatch[] = [];

  constructor(epoch: number, lastSeq: number, lastSeenMs: number) {
    this.epoch = epoch;
    this.lastSeq = lastSeq;
    this.lastSeenMs = lastSeenMs;
  }

  get hasAppendsInFlight(): boolean {
    return this.batches.some((b) => b.appendedAt === undefined);
  }

  /**
   * Kafka's order: the epoch first (older is fenced; newer must start again at sequence 0), then a
   * retry of a remembered batch (same epoch, same first and last sequence), then continuity.
   */
  check(batch: BatchSequence): SequenceCheck {
    const { producerEpoch: epoch, baseSequence: firstSeq } = batch;
    if (epoch < this.epoch) {
      return {
        kind: 'reject',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `producer epoch ${epoch} is older than the current ${this.epoch}`,
      };
    }
    if (epoch > this.epoch) {
      if (firstSeq === 0) return { kind: 'new' };
      return {
        kind: 'reject',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `a new producer epoch ${epoch} must start at sequence 0, not ${firstSeq}`,
      };
    }
    const lastSeq = addSequence(firstSeq, batch.lastOffsetDelta);
    const duplicate = this.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
    if (duplicate) return { kind: 'duplicate', batch: duplicate };
    const expected = addSequence(this.lastSeq, 1);
    if (firstSeq !== expected) {
      return {
        kind: 'reject',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `sequence ${firstSeq} where ${expected} was expected (epoch ${epoch})`,
      };
    }
    return { kind: 'new' };
  }

  /** Records an admitted batch (after check() said 'new', or from the log on rebuild). */
  record(batch: BatchSequence, appendedAt: AppendedAt | undefined, nowMs: number): WindowBatch {
    if (batch.producerEpoch !== this.epoch) {
      // A new epoch starts a new sequence space: nothing from the old one can be retried into it.
      this.epoch = batch.producerEpoch;
      this.batches.length = 0;
    }
    const entry: WindowBatch = {
      firstSeq: batch.baseSequence,
      lastSeq: addSequence(batch.baseSequence, batch.lastOffsetDelta),
      appendedAt,
      waiters: [],
    };
    this.batches.push(entry);
    if (this.batches.length > WINDOW_SIZE) this.batches.shift();
    this.lastSeq = entry.lastSeq;
    this.lastSeenMs = Math.max(this.lastSeenMs, nowMs);
    return entry;
  }

  /** The append of `entry` was acknowledged: remember where it went and answer its waiting retries. */
  appended(entry: WindowBatch, at: AppendedAt): void {
    entry.appendedAt = at;
    for (const w of entry.waiters.splice(0)) w.resolve(at);
  }

  /**
   * The append of `entry` failed, so it is not in the log. A failed append fails the partition log
   * (every later append to it fails too, until a restart rebuilds this state from what reached the
   * disk), so the window forgets `entry` and every batch admitted after it, and the sequence goes back
   * to just before it: a retry of it is then checked as new, and fails the same honest way.
   */
  failed(entry: WindowBatch, err: unknown): void {
    const at = this.batches.indexOf(entry);
    if (at >= 0) {
      for (const dropped of this.batches.splice(at)) {
        for (const w of dropped.waiters.splice(0)) w.reject(err);
      }
      this.lastSeq = addSequence(entry.firstSeq, -1);
    }
    for (const w of entry.waiters.splice(0)) w.reject(err);
  }

  /** The outcome of a remembered batch: at once if appended, else when its append settles. */
  outcome(entry: WindowBatch): Promise<AppendedAt> {
    if (entry.appendedAt) return Promise.resolve(entry.appendedAt);
    return new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
  }
}
