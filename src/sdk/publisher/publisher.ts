// The resilient publisher of one stream: records accumulate into batches (lingerMs, maxBatchBytes), sealed
// batches wait in a bounded buffer (memory or disk), and one pump sends the oldest batch at a time while the
// circuit breaker allows. One batch in flight keeps the order of records (and so per key) as published.
// Loss is counted where it happens, by reason: drop_newest, drop_oldest, quarantined, closed.
import { pino } from 'pino';
import type { Logger } from 'pino';
import { register as globalRegistry } from 'prom-client';
import { createBusProducer } from '../kafka-client.ts';
import type { BusProducer } from '../kafka-client.ts';
import { CircuitBreaker } from './breaker.ts';
import type { BreakerState, BreakerTransition } from './breaker.ts';
import { systemClock } from './clock.ts';
import type { Clock, Timer } from './clock.ts';
import { DiskStore } from './disk-store.ts';
import type { QuarantineReport } from './disk-store.ts';
import { FlushTimeoutError, RecordTooLargeError, SendTimeoutError } from './errors.ts';
import { MemoryStore } from './memory-store.ts';
import { BREAKER_STATE_VALUE, PublisherMetrics } from './metrics.ts';
import { validateOptions } from './options.ts';
import type { PublisherOptions } from './options.ts';
import { recordBytes } from './store.ts';
import type { BatchStore, BufferedRecord } from './store.ts';

export type PublishResult = 'accepted' | 'dropped' | Promise<void>;
export type DropReason = 'drop_newest' | 'drop_oldest' | 'quarantined' | 'closed';

export interface PublisherState {
  breaker: BreakerState;
  bufferedBytes: number;
  bufferedRecords: number;
  dropped: Record<string, number>;
  quarantined: QuarantineReport[];
}

interface Waiter {
  record: BufferedRecord;
  size: number;
  resolve: () => void;
}

export class Publisher {
  readonly #o: PublisherOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #metrics: PublisherMetrics;
  readonly #breaker: CircuitBreaker;
  readonly #store: BatchStore;
  readonly #quarantined: QuarantineReport[] = [];
  readonly #dropped = new Map<DropReason, number>();
  #open: BufferedRecord[] = [];
  #openBytes = 0;
  #linger: Timer | undefined;
  #waiters: Waiter[] = [];
  #inFlight = false;
  #producer: BusProducer | undefined;
  #closing = false;
  #stopPump = false;
  #wakePump: (() => void) | undefined;
  #listeners = new Set<() => void>();
  #pump: Promise<void>;

  private constructor(
    o: PublisherOptions,
    store: BatchStore,
    clock: Clock,
    log: Logger,
    metrics: PublisherMetrics,
  ) {
    this.#o = o;
    this.#clock = clock;
    this.#log = log;
    this.#metrics = metrics;
    this.#store = store;
    const jitter = o.breaker.jitter ?? (o.clock ? 0 : 0.2);
    this.#breaker = new CircuitBreaker(
      { ...o.breaker, jitter },
      () => clock.now(),
      (t) => this.#onTransition(t),
    );
    metrics.breakerState.set({ stream: o.stream }, 0);
    this.#changed();
    this.#pump = this.#run();
  }

  /** Opens the buffer (a disk buffer recovers what an earlier run left, to be sent first) and starts. */
  static async open(options: PublisherOptions): Promise<Publisher> {
    validateOptions(options);
    const clock = options.clock ?? systemClock;
    const log = (options.logger ?? pino({ name: 'sluice-publisher' })).child({ stream: options.stream });
    const metrics = new PublisherMetrics(options.metrics ?? globalRegistry);
    const reports: QuarantineReport[] = [];
    let onQuarantine = (r: QuarantineReport): void => void reports.push(r);
    const b = options.buffer;
    const store =
      b.kind === 'memory'
        ? new MemoryStore()
        : await DiskStore.open({
            dir: b.dir,
            maxBytes: b.maxBytes,
            segmentBytes: b.segmentBytes,
            durability: b.durability,
            logger: log,
            onQuarantine: (r) => onQuarantine(r),
          });
    const publisher = new Publisher(options, store, clock, log, metrics);
    onQuarantine = (r) => publisher.#onQuarantine(r);
    for (const r of reports) publisher.#onQuarantine(r);
    return publisher;
  }

  get state(): PublisherState {
    return {
      breaker: this.#breaker.state,
      bufferedBytes: this.#store.bytes + this.#openBytes,
      bufferedRecords: this.#store.records + this.#open.length,
      dropped: Object.fromEntries(this.#dropped),
      quarantined: [...this.#quarantined],
    };
  }

  /**
   * Takes one record. Never throws for bus trouble: 'accepted' (buffered), 'dropped' (counted), or, with
   * whenFull 'block' and a full buffer, a promise that resolves once the record is in the buffer. Throws
   * RecordTooLargeError for a record no batch could hold.
   */
  publish(record: BufferedRecord): PublishResult {
    if (this.#closing) {
      this.#drop('closed', 1);
      return 'dropped';
    }
    const size = recordBytes(record);
    if (size > this.#o.maxBatchBytes) {
      throw new RecordTooLargeError(this.#o.stream, size, 'maxBatchBytes', this.#o.maxBatchBytes);
    }
    // Behind callers already waiting for room, to keep the order records were published in.
    if (this.#waiters.length > 0) return this.#wait(record, size);
    if (this.#fits(size)) {
      this.#add(record, size);
      return 'accepted';
    }
    switch (this.#o.buffer.whenFull) {
      case 'block':
        return this.#wait(record, size);
      case 'drop_newest':
        this.#drop('drop_newest', 1);
        return 'dropped';
      case 'drop_oldest':
        while (!this.#fits(size)) {
          let n = this.#store.evictOldest(this.#inFlight);
          if (n === 0 && this.#open.length > 0) {
            this.#openBytes -= recordBytes(this.#open.shift()!);
            n = 1;
          }
          if (n === 0) {
            // Only the batch in flight is left and it is bigger than its estimate: nothing older to drop.
            this.#drop('drop_newest', 1);
            return 'dropped';
          }
          this.#drop('drop_oldest', n);
        }
        this.#add(record, size);
        return 'accepted';
    }
  }

  /**
   * Seals the batch being filled and resolves once every record accepted so far is in the buffer: written
   * to the log for a disk buffer (what survives a process kill). Does not wait for the bus.
   */
  whenBuffered(): Promise<void> {
    this.#seal();
    return this.#store.stored();
  }

  /** Seals the batch being filled and resolves once everything buffered is acknowledged by the bus. */
  async flush(timeoutMs: number): Promise<void> {
    this.#seal();
    const done = (): boolean =>
      this.#store.records === 0 && this.#open.length === 0 && this.#waiters.length === 0;
    if (done()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = this.#clock.setTimer(() => {
        this.#listeners.delete(check);
        reject(
          new FlushTimeoutError(this.#o.stream, timeoutMs, this.state.bufferedRecords + this.#waiters.length),
        );
      }, timeoutMs);
      const check = (): void => {
        if (!done()) return;
        this.#listeners.delete(check);
        timer.cancel();
        resolve();
      };
      this.#listeners.add(check);
    });
  }

  /**
   * Drains for at most `timeoutMs`, then stops. What is left: a disk buffer keeps it for the next open; a
   * memory buffer's records (and callers still blocked) are counted as dropped, reason 'closed'.
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.#closing) return this.#pump;
    const deadline = this.#clock.now() + timeoutMs;
    await this.flush(timeoutMs).catch((err: unknown) => {
      if (!(err instanceof FlushTimeoutError)) throw err;
    });
    this.#closing = true;
    this.#stopPump = true;
    this.#wakePump?.();
    await this.#bounded(this.#pump, deadline - this.#clock.now());
    for (const w of this.#waiters.splice(0)) {
      this.#drop('closed', 1);
      w.resolve();
    }
    this.#seal();
    const left = this.#store.records;
    if (this.#o.buffer.kind === 'memory') {
      if (left > 0) this.#drop('closed', left);
    } else if (left > 0) {
      this.#log.warn(
        { records: left, bytes: this.#store.bytes },
        'closing with records in the disk buffer: sent on the next open',
      );
    }
    // Not bounded: finishing the local writes is what keeps a disk buffer's records for the next open.
    await this.#store.close();
    if (this.#producer)
      await this.#bounded(this.#producer.close(), Math.max(deadline - this.#clock.now(), 1000));
    this.#producer = undefined;
  }

  #fits(size: number): boolean {
    return this.#store.bytes + this.#openBytes + size <= this.#o.buffer.maxBytes;
  }

  #add(record: BufferedRecord, size: number): void {
    if (this.#openBytes + size > this.#o.maxBatchBytes) this.#seal();
    this.#open.push(record);
    this.#openBytes += size;
    if (this.#openBytes >= this.#o.maxBatchBytes) this.#seal();
    else if (this.#open.length === 1)
      this.#linger = this.#clock.setTimer(() => this.#seal(), this.#o.lingerMs);
  }

  #seal(): void {
    this.#linger?.cancel();
    this.#linger = undefined;
    if (this.#open.length === 0) return;
    this.#store.append(this.#open, this.#openBytes);
    this.#open = [];
    this.#openBytes = 0;
    this.#wakePump?.();
    this.#changed();
  }

  #wait(record: BufferedRecord, size: number): Promise<void> {
    return new Promise((resolve) => this.#waiters.push({ record, size, resolve }));
  }

  #admitWaiters(): void {
    while (this.#waiters.length > 0 && this.#fits(this.#waiters[0].size)) {
      const w = this.#waiters.shift()!;
      this.#add(w.record, w.size);
      w.resolve();
    }
  }

  #drop(reason: DropReason, n: number): void {
    this.#dropped.set(reason, (this.#dropped.get(reason) ?? 0) + n);
    this.#metrics.dropped.inc({ stream: this.#o.stream, reason }, n);
  }

  #onQuarantine(r: QuarantineReport): void {
    this.#quarantined.push(r);
    this.#metrics.quarantined.inc({ stream: this.#o.stream });
    if (r.records > 0) this.#drop('quarantined', r.records);
    this.#log.error(r, 'corrupt disk-buffer segment quarantined; its records are lost');
  }

  #onTransition(t: BreakerTransition): void {
    const { stream } = this.#o;
    this.#metrics.transitions.inc({ stream, from: t.from, to: t.to });
    this.#metrics.breakerState.set({ stream }, BREAKER_STATE_VALUE[t.to]);
    const line = { from: t.from, to: t.to, reason: t.reason, backoffMs: t.backoffMs };
    if (t.to === 'open') this.#log.warn(line, 'circuit breaker open');
    else this.#log.info(line, `circuit breaker ${t.to}`);
  }

  /** Gauges and flush() waiters look again. */
  #changed(): void {
    const { stream } = this.#o;
    this.#metrics.bufferedBytes.set({ stream }, this.#store.bytes + this.#openBytes);
    this.#metrics.bufferedRecords.set({ stream }, this.#store.records + this.#open.length);
    for (const l of [...this.#listeners]) l();
  }

  /** Until woken (a batch sealed, close) or `ms` passed. */
  #sleep(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : this.#clock.setTimer(() => done(), ms);
      const done = (): void => {
        timer?.cancel();
        this.#wakePump = undefined;
        resolve();
      };
      this.#wakePump = done;
    });
  }

  async #run(): Promise<void> {
    while (!this.#stopPump) {
      if (this.#store.batches === 0) {
        await this.#sleep();
        continue;
      }
      const delay = this.#breaker.delayUntilAttempt();
      if (delay > 0) {
        await this.#sleep(delay);
        continue;
      }
      this.#inFlight = true;
      try {
        const batch = await this.#store.head();
        if (batch === undefined) continue;
        if (await this.#send(batch)) {
          await this.#store.ackHead();
          this.#metrics.sent.inc({ stream: this.#o.stream }, batch.length);
          this.#breaker.success();
        } else {
          this.#metrics.sendFailures.inc({ stream: this.#o.stream });
          this.#breaker.failure();
        }
      } catch (err) {
        // The store failed (a disk error it could not quarantine): wait, then try again; never a tight loop.
        this.#log.error({ err }, 'buffer read failed');
        this.#inFlight = false;
        await this.#sleep(this.#o.breaker.halfOpenAfterMs);
      } finally {
        this.#inFlight = false;
        this.#admitWaiters();
        this.#changed();
      }
    }
  }

  async #send(batch: BufferedRecord[]): Promise<boolean> {
    const { topic } = this.#o;
    let timer: Timer | undefined;
    try {
      this.#producer ??= (this.#o.transport ?? createBusProducer)(this.#o.bus, {
        acks: this.#o.acks,
        idempotent: this.#o.idempotent,
        ...(this.#o.compression ? { compression: this.#o.compression } : {}),
      });
      const producer = this.#producer;
      const timeoutMs = this.#o.sendTimeoutMs ?? 2 * (this.#o.bus.requestTimeoutMs ?? 15_000);
      const late = new Promise<never>((_, reject) => {
        timer = this.#clock.setTimer(() => {
          // A hung producer is replaced: the next attempt gets a fresh connection.
          if (this.#producer === producer) this.#producer = undefined;
          producer.close().catch(() => undefined);
          reject(new SendTimeoutError(`send of ${batch.length} records timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      });
      await Promise.race([producer.send(batch.map((r) => ({ topic, ...r }))), late]);
      return true;
    } catch (err) {
      this.#log.debug({ err: err instanceof Error ? err.message : String(err) }, 'send failed');
      return false;
    } finally {
      timer?.cancel();
    }
  }

  async #bounded(p: Promise<unknown>, ms: number): Promise<void> {
    let timer: Timer | undefined;
    await Promise.race([
      p.then(
        () => undefined,
        () => undefined,
      ),
      new Promise<void>((resolve) => (timer = this.#clock.setTimer(resolve, Math.max(ms, 0)))),
    ]);
    timer?.cancel();
  }
}
