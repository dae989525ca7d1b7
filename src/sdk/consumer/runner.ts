// consume(): runs a handler over a topic with an explicit delivery semantic.
//
//   at-most-once      a batch's offsets are committed to the group BEFORE its records are handled: a crash
//                     loses what was committed but not handled, and nothing is ever handled twice.
//   at-least-once     offsets are committed AFTER the records are handled: a crash re-delivers what was
//                     handled but not committed, and nothing is lost.
//   effectively-once  the handler writes through the sink's transaction, and the next offset is stored in the
//                     same transaction; on assignment the runner seeks to the offsets the sink holds. A crash
//                     rolls back the writes and the offset together. (The group commit that follows is only
//                     informational, for lag tooling.)
//
// A failing record is retried with back-off; after its last attempt it goes to the dead-letter topic (which
// is at-least-once: a crash between the dead-letter send and the next commit sends it again) and the
// partition moves on. stop() lets the record in flight finish, commits what was handled, leaves the group.
//
// When the bus goes away (the bus consumer's run() rejects with a retriable BusError) the runner closes that
// consumer and builds a new one after a capped exponential back-off (retry.initialDelayMs..maxDelayMs),
// again and again until the bus answers or stop() is called. The new member resumes where the group's
// committed offsets are (at-most-once, at-least-once) or where the sink's are (effectively-once, through
// onAssigned). Any other failure is fatal: the runner stops and `done` rejects.
import { register as globalRegistry, type Counter } from 'prom-client';
import type {
  BusConsumer,
  BusProducer,
  IncomingRecord,
  TopicPartition,
  TopicPartitionOffset,
} from './bus.ts';
import { deadLetterRecord, describeError } from './dead-letter.ts';
import { BusError } from '../kafka-client.ts';
import { defaultCreateConsumer, defaultCreateProducer } from './default-bus.ts';
import { key, LagTracker } from './lag.ts';
import { failureCounters, reconnectCounter, type FailureCounters } from './metrics.ts';
import { abortableSleep, backoffDelay, retryPolicy, type RetryPolicy } from './retry.ts';
import { validateOptions } from './validate.ts';
import {
  NonRetriableError,
  type ConsumeOptions,
  type ConsumerHandle,
  type ConsumerLogger,
  type PartitionLag,
  type RecordHandler,
  type TransactionalSink,
} from './types.ts';

type Outcome = 'handled' | 'dead-lettered' | 'stopped';

/** A handler's own failure, told apart from the sink's or the bus's (which are fatal, not retried). */
class HandlerFailure extends Error {
  constructor(cause: unknown) {
    super('handler failed', { cause });
  }
}

const SAVEPOINT = 'sluice_record';
/** Consecutive retriable commit failures after which the bus consumer is rebuilt. */
const COMMIT_FAILURES_BEFORE_LOST = 3;

const silentLogger: ConsumerLogger = { info() {}, warn() {}, error() {} };

export async function consume<Tx>(options: ConsumeOptions<Tx>): Promise<ConsumerHandle> {
  validateOptions(options);
  const runner = new Runner(options);
  await runner.start();
  return {
    stop: () => runner.stop(),
    lag: () => runner.lag(),
    done: runner.done,
  };
}

class Runner<Tx> {
  readonly done: Promise<void>;
  readonly #o: ConsumeOptions<Tx>;
  readonly #policy: RetryPolicy;
  /** Replaced by a new one each time the bus is lost. */
  #consumer: BusConsumer;
  /** Reconnect attempts since the last successful join (drives the back-off). */
  #reconnectAttempt = 0;
  readonly #lostConsumers = new WeakSet<BusConsumer>();
  readonly #reconnects: Counter<'group'>;
  readonly #lag: LagTracker;
  readonly #failures: FailureCounters;
  readonly #log: ConsumerLogger;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  /** Last offset committed to the group per partition (at-most-once rewinds to the position on stop). */
  readonly #committed = new Map<string, bigint>();
  #producer: BusProducer | undefined;
  #fatal: { error: unknown } | undefined;
  #stopping: Promise<void> | undefined;
  #lagTimer: NodeJS.Timeout | undefined;
  #settle!: { resolve: () => void; reject: (e: unknown) => void };

  constructor(options: ConsumeOptions<Tx>) {
    this.#o = options;
    this.#policy = retryPolicy(options.retry);
    this.#log = options.logger ?? silentLogger;
    this.#sleep = options.sleep ?? abortableSleep;
    const registry = options.metrics ?? globalRegistry;
    this.#lag = new LagTracker(options.group, registry, options.now ?? Date.now);
    this.#failures = failureCounters(registry);
    this.#reconnects = reconnectCounter(registry);
    this.#consumer = this.#createConsumer();
    this.done = new Promise((resolve, reject) => (this.#settle = { resolve, reject }));
    // done is for callers who care; an unobserved rejection must not crash the process.
    this.done.catch(() => {});
  }

  #createConsumer(): BusConsumer {
    const options = this.#o;
    return (options.createConsumer ?? defaultCreateConsumer)(options.bus, {
      group: options.group,
      topics: [options.topic],
      fromBeginning: options.fromBeginning ?? true,
      ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
      ...(options.heartbeatIntervalMs === undefined
        ? {}
        : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
      ...(options.groupInstanceId === undefined ? {} : { groupInstanceId: options.groupInstanceId }),
      ...(options.maxFetchBytes === undefined ? {} : { maxFetchBytes: options.maxFetchBytes }),
    });
  }

  get #stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  async start(): Promise<void> {
    if (this.#o.sink) await this.#o.sink.init();
    this.#launch();
    const every = this.#o.lagIntervalMs ?? 5000;
    if (every > 0) {
      this.#lagTimer = setInterval(() => {
        this.lag().catch((error: unknown) =>
          this.#log.warn({ err: describeError(error) }, 'consumer lag: high watermarks unavailable'),
        );
      }, every);
      this.#lagTimer.unref();
    }
  }

  #launch(): void {
    const consumer = this.#consumer;
    consumer
      .run({
        onBatch: (records) => this.#onBatch(records),
        onAssigned: (partitions) => this.#onAssigned(partitions),
        onRevoked: (partitions) => this.#onRevoked(partitions),
      })
      .catch((error: unknown) => this.#lost(consumer, error));
  }

  #lost(consumer: BusConsumer, error: unknown): void {
    if (this.#stopped || this.#fatal || consumer !== this.#consumer) return;
    // run() failing and commits failing can both report the same loss while the lost consumer is still
    // this.#consumer (it is replaced only after its close and the back-off): rebuild once, not twice.
    if (this.#lostConsumers.has(consumer)) return;
    this.#lostConsumers.add(consumer);
    if (!(error instanceof BusError && error.retriable)) {
      this.#fail(error);
      return;
    }
    this.#reconnect(consumer, error).catch((e: unknown) => this.#fail(e));
  }

  /** Closes the lost consumer, waits out the back-off, builds and runs a new one (unless stopped). */
  async #reconnect(lost: BusConsumer, error: BusError): Promise<void> {
    const attempt = ++this.#reconnectAttempt;
    const delayMs = backoffDelay(this.#policy, attempt);
    this.#reconnects.inc({ group: this.#o.group });
    this.#log.warn(
      { attempt, delayMs, err: describeError(error) },
      'bus lost: rebuilding the consumer after a back-off',
    );
    // The lost member's partitions are no longer ours: forget their positions so stop() does not commit
    // them over the progress of whichever member owns them now.
    this.#lag.revoked(this.#lag.positions());
    this.#committed.clear();
    await lost.close().catch((closeError: unknown) => {
      this.#log.warn({ err: describeError(closeError) }, 'closing the lost consumer failed');
    });
    await this.#sleep(delayMs, this.#abort.signal);
    if (this.#stopped) return;
    this.#consumer = this.#createConsumer();
    this.#launch();
  }

  async lag(): Promise<PartitionLag[]> {
    const hwms = await this.#consumer.highWatermarks();
    return this.#lag.measure(hwms.filter((h) => h.topic === this.#o.topic));
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    this.#abort.abort();
    clearInterval(this.#lagTimer);
    await Promise.allSettled([...this.#inFlight]);
    try {
      await this.#finalCommit();
    } catch (error) {
      this.#log.warn({ err: describeError(error) }, 'consumer stop: final commit failed');
    }
    await this.#consumer.close().catch((error: unknown) => {
      this.#log.warn({ err: describeError(error) }, 'consumer stop: leaving the group failed');
    });
    await this.#producer?.close().catch(() => {});
    if (this.#fatal) this.#settle.reject(this.#fatal.error);
    else this.#settle.resolve();
  }

  #fail(error: unknown): void {
    if (this.#fatal || this.#stopped) return;
    this.#fatal = { error };
    this.#log.error({ err: describeError(error) }, 'consumer stopping on a fatal error');
    void this.stop();
  }

  /** Commits the position of every partition whose group offset differs from it (and rewinds at-most-once). */
  async #finalCommit(): Promise<void> {
    const offsets = this.#lag
      .positions()
      .filter((p) => this.#committed.get(key(p.topic, p.partition)) !== p.offset);
    if (offsets.length > 0) await this.#consumer.commit(offsets);
  }

  async #onAssigned(partitions: TopicPartition[]): Promise<TopicPartitionOffset[] | void> {
    this.#reconnectAttempt = 0; // joined: the bus is back
    this.#lag.assigned(partitions);
    const sink = this.#o.sink;
    if (!sink) return;
    const stored = await sink.readOffsets(this.#o.group, partitions);
    for (const s of stored) this.#lag.seek(s.topic, s.partition, s.offset);
    this.#log.info(
      { stored: stored.map((s) => `${s.topic}/${s.partition}@${s.offset}`) },
      'resuming from sink',
    );
    return stored;
  }

  async #onRevoked(partitions: TopicPartition[]): Promise<void> {
    try {
      const offsets = partitions.flatMap(({ topic, partition }) => {
        const position = this.#lag.position(topic, partition);
        const committed = this.#committed.get(key(topic, partition));
        return position === undefined || position === committed
          ? []
          : [{ topic, partition, offset: position }];
      });
      if (offsets.length > 0) await this.#commit(offsets);
    } catch (error) {
      this.#log.warn({ err: describeError(error) }, 'commit on revocation failed');
    }
    this.#lag.revoked(partitions);
  }

  async #onBatch(records: IncomingRecord[]): Promise<void> {
    if (this.#stopped || records.length === 0) return;
    const work = this.#process(records).catch((error: unknown) => this.#fail(error));
    this.#inFlight.add(work);
    try {
      await work;
    } finally {
      this.#inFlight.delete(work);
    }
  }

  async #process(records: IncomingRecord[]): Promise<void> {
    // A batch may span partitions: order matters within each, so they are handled one after the other.
    const byPartition = new Map<string, IncomingRecord[]>();
    for (const r of records) {
      const k = key(r.topic, r.partition);
      const list = byPartition.get(k);
      if (list) list.push(r);
      else byPartition.set(k, [r]);
    }
    for (const list of byPartition.values()) {
      if (this.#stopped) return;
      this.#lag.fetched(list);
      switch (this.#o.semantics) {
        case 'at-most-once':
          await this.#atMostOnce(list);
          break;
        case 'at-least-once':
          await this.#atLeastOnce(list);
          break;
        case 'effectively-once':
          await this.#effectivelyOnce(list, this.#o.sink, this.#o.handler);
          break;
      }
    }
  }

  async #atMostOnce(records: IncomingRecord[]): Promise<void> {
    const last = records[records.length - 1];
    if (
      !(await this.#commitUntilDone([
        { topic: last.topic, partition: last.partition, offset: last.offset + 1n },
      ]))
    ) {
      return;
    }
    const handler = this.#o.handler as RecordHandler<undefined>;
    for (const [i, record] of records.entries()) {
      if (this.#stopped) return; // stop() commits the position back to the first record not handled
      const outcome = await this.#attempts(record, 1, undefined, (attempt) =>
        this.#callHandler(handler, record, attempt, undefined),
      );
      if (outcome === 'stopped') return;
      this.#lag.handled(record, records[i + 1]);
    }
  }

  async #atLeastOnce(records: IncomingRecord[]): Promise<void> {
    const handler = this.#o.handler as RecordHandler<undefined>;
    let handled: IncomingRecord | undefined;
    for (const [i, record] of records.entries()) {
      if (this.#stopped) break;
      const outcome = await this.#attempts(record, 1, undefined, (attempt) =>
        this.#callHandler(handler, record, attempt, undefined),
      );
      if (outcome === 'stopped') break;
      this.#lag.handled(record, records[i + 1]);
      handled = record;
    }
    // When stopping, stop() commits (the bus may be going away: no waiting for it here).
    if (handled && !this.#stopped) {
      await this.#commitUntilDone([
        { topic: handled.topic, partition: handled.partition, offset: handled.offset + 1n },
      ]);
    }
  }

  async #effectivelyOnce(
    records: IncomingRecord[],
    sink: TransactionalSink<Tx>,
    handler: RecordHandler<Tx>,
  ): Promise<void> {
    const { group } = this.#o;
    const first = records[0];
    // Records before the sink's offset were written already (a fetch that raced the seek): skip them.
    const from = this.#lag.position(first.topic, first.partition);
    let i = from === undefined ? 0 : records.findIndex((r) => r.offset >= from);
    if (i < 0) return;
    const offsetAfter = (r: IncomingRecord): TopicPartitionOffset[] => [
      { topic: r.topic, partition: r.partition, offset: r.offset + 1n },
    ];
    while (i < records.length && !this.#stopped) {
      // Fast path: as many records as succeed at their first attempt, in one transaction with their offset.
      let failure: { error: unknown } | undefined;
      const start = i;
      const count = await sink.transaction(async (tx) => {
        let n = 0;
        while (start + n < records.length && !this.#stopped) {
          await tx.savepoint(SAVEPOINT);
          try {
            await handler(records[start + n], { attempt: 1, tx: tx.context });
          } catch (error) {
            await tx.rollbackTo(SAVEPOINT);
            await tx.release(SAVEPOINT);
            failure = { error };
            break;
          }
          await tx.release(SAVEPOINT);
          n++;
        }
        if (n > 0) await tx.storeOffsets(group, offsetAfter(records[start + n - 1]));
        return n;
      });
      for (let k = start; k < start + count; k++) this.#lag.handled(records[k], records[k + 1]);
      i += count;
      if (!failure) continue;
      // The record that failed: each retry in its own transaction, so the records before it stay committed.
      const record = records[i];
      const outcome = await this.#attempts(record, 2, failure.error, (attempt) =>
        sink.transaction(async (tx) => {
          await this.#callHandler(handler, record, attempt, tx.context);
          await tx.storeOffsets(group, offsetAfter(record));
        }),
      );
      if (outcome === 'stopped') break;
      if (outcome === 'dead-lettered')
        await sink.transaction((tx) => tx.storeOffsets(group, offsetAfter(record)));
      this.#lag.handled(record, records[i + 1]);
      i++;
    }
    // Informational only (the sink is the source of truth): lets group tooling show this consumer's lag.
    const position = this.#lag.position(first.topic, first.partition);
    if (position !== undefined && !this.#stopped) {
      await this.#commit([{ topic: first.topic, partition: first.partition, offset: position }]).catch(
        (error: unknown) =>
          this.#log.warn({ err: describeError(error) }, 'informational group commit failed'),
      );
    }
  }

  async #callHandler<C>(
    handler: RecordHandler<C>,
    record: IncomingRecord,
    attempt: number,
    tx: C,
  ): Promise<void> {
    try {
      await handler(record, { attempt, tx });
    } catch (error) {
      throw new HandlerFailure(error);
    }
  }

  /**
   * Attempts `firstAttempt`..policy.attempts of one record (attempt `firstAttempt - 1` already failed with
   * `previous` when firstAttempt > 1), then dead-letters it. Only HandlerFailure counts as a failed attempt;
   * anything else (sink, bus) propagates as fatal.
   */
  async #attempts(
    record: IncomingRecord,
    firstAttempt: number,
    previous: unknown,
    attempt: (n: number) => Promise<void>,
  ): Promise<Outcome> {
    let lastError = previous;
    let made = firstAttempt - 1;
    for (let n = firstAttempt; n <= this.#policy.attempts; n++) {
      if (lastError instanceof NonRetriableError) break;
      if (n > 1) {
        this.#failures.retries.inc({ group: this.#o.group, topic: record.topic });
        await this.#sleep(backoffDelay(this.#policy, n - 1), this.#abort.signal);
        if (this.#stopped) return 'stopped';
      }
      try {
        await attempt(n);
        return 'handled';
      } catch (error) {
        if (!(error instanceof HandlerFailure)) throw error;
        lastError = error.cause;
        made = n;
      }
    }
    return this.#deadLetter(record, lastError, made);
  }

  async #deadLetter(record: IncomingRecord, error: unknown, attempts: number): Promise<Outcome> {
    const { group, deadLetterTopic } = this.#o;
    const where = {
      topic: record.topic,
      partition: record.partition,
      offset: String(record.offset),
      attempts,
    };
    if (deadLetterTopic === undefined) {
      this.#failures.failed.inc({ group, topic: record.topic, outcome: 'skipped' });
      this.#log.error(
        { ...where, err: describeError(error) },
        'record failed every attempt; skipped (no dead-letter topic)',
      );
      return 'dead-lettered';
    }
    this.#producer ??= (this.#o.createProducer ?? defaultCreateProducer)(this.#o.bus, {
      acks: -1,
      idempotent: true,
    });
    const dead = deadLetterRecord(deadLetterTopic, group, record, error, attempts);
    for (let n = 1; ; n++) {
      try {
        await this.#producer.send([dead]);
        break;
      } catch (sendError) {
        this.#log.warn({ ...where, err: describeError(sendError) }, 'dead-letter send failed; retrying');
        await this.#sleep(backoffDelay(this.#policy, n), this.#abort.signal);
        if (this.#stopped) return 'stopped';
      }
    }
    this.#failures.failed.inc({ group, topic: record.topic, outcome: 'dead_lettered' });
    this.#log.warn({ ...where, err: describeError(error), deadLetterTopic }, 'record dead-lettered');
    return 'dead-lettered';
  }

  async #commit(offsets: TopicPartitionOffset[]): Promise<void> {
    await this.#consumer.commit(offsets);
    for (const o of offsets) this.#committed.set(key(o.topic, o.partition), o.offset);
  }

  /**
   * Commits, retrying with back-off while the bus refuses; false when stop() came first or the consumer was
   * given up as lost. A bus consumer waiting on this batch fetches nothing, so it may never notice the bus
   * is gone: repeated retriable failures count as losing it (the batch is redelivered by the next member).
   */
  async #commitUntilDone(offsets: TopicPartitionOffset[]): Promise<boolean> {
    const consumer = this.#consumer;
    for (let n = 1; ; n++) {
      if (consumer !== this.#consumer) return false;
      try {
        await this.#commit(offsets);
        return true;
      } catch (error) {
        this.#log.warn({ err: describeError(error) }, 'commit failed; retrying');
        if (n >= COMMIT_FAILURES_BEFORE_LOST && error instanceof BusError && error.retriable) {
          this.#lost(consumer, error);
          return false;
        }
        await this.#sleep(backoffDelay(this.#policy, n), this.#abort.signal);
        if (this.#stopped) return false;
      }
    }
  }
}
