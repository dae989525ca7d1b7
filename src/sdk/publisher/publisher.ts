// The resilient publisher of one stream: each record is encoded once, straight into the Kafka record batch
// of its partition (open-batch.ts); a batch is sealed when full (maxBatchBytes) or after lingerMs, and
// sealed batches wait in a bounded buffer (memory or disk) as the bytes the bus will receive. One pump
// sends the oldest batches, up to maxInFlight at a time (idempotence keeps them in order: a retry carries
// the same sequence), while the circuit breaker allows. Loss is counted where it happens, by reason:
// drop_newest, drop_oldest, quarantined, closed. Bytes buffered are counted as held: the sealed batches
// plus the buffers of the batches being filled.
import { pino } from 'pino';
import type { Logger } from 'pino';
import { register as globalRegistry } from 'prom-client';
import { RECORD_BATCH_OVERHEAD } from '../../protocol/record-batch.ts';
import type { SealedBatch } from '../kafka-client.ts';
import { BatchDelivery } from './batch-delivery.ts';
import { BatchPool } from './batch-pool.ts';
import { CircuitBreaker } from './breaker.ts';
import type { BreakerState, BreakerTransition } from './breaker.ts';
import { systemClock } from './clock.ts';
import type { Clock, Timer } from './clock.ts';
import { DiskStore } from './disk-store.ts';
import type { QuarantineReport } from './disk-store.ts';
import { FlushTimeoutError, RecordTooLargeError } from './errors.ts';
import { MemoryStore } from './memory-store.ts';
import { BREAKER_STATE_VALUE, PublisherMetrics } from './metrics.ts';
import { OpenBatch } from './open-batch.ts';
import { Partitioner } from './partitioner.ts';
import { validateOptions } from './options.ts';
import type { PublisherOptions } from './options.ts';
import { measure, newMeasure, recordSize } from './record-encoding.ts';
import type { AnyRecord, PreparedRecord } from './record-encoding.ts';
import type { BatchStore } from './store.ts';

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
  record: AnyRecord;
  resolve: () => void;
}

/** Where the buffer of a new batch starts (it doubles as records come, up to maxBatchBytes). */
const FIRST_CAPACITY = 16 << 10;

export class Publisher {
  readonly #o: PublisherOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #metrics: PublisherMetrics;
  readonly #breaker: CircuitBreaker;
  readonly #store: BatchStore;
  readonly #maxInFlight: number;
  readonly #checksumAtSeal: boolean;
  readonly #quarantined: QuarantineReport[] = [];
  readonly #dropped = new Map<DropReason, number>();
  readonly #measure = newMeasure();
  /** Batches being filled, by partition, oldest first. */
  #open = new Map<number, OpenBatch>();
  #openBytes = 0;
  #openRecords = 0;
  #capacityHint: number;
  /** Full-size batch buffers done with, filled again by the next batches (batch-pool.ts). */
  readonly #pool: BatchPool;
  readonly #partitioner = new Partitioner();
  /** For the partitioner, made once rather than as a closure per record. */
  readonly #availablePartitions = (): number[] | undefined =>
    this.#delivery.producer?.availablePartitions?.(this.#o.topic);
  #linger: Timer | undefined;
  #waiters: Waiter[] = [];
  /** Batches at the head of the store being sent (they are never evicted). */
  #inFlight = 0;
  /** The head batches of a round that failed, kept to be sent again as they were (same stamp). */
  #retry: SealedBatch[] = [];
  readonly #delivery: BatchDelivery;
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
    this.#maxInFlight = o.maxInFlight ?? (o.idempotent ? 5 : 1);
    this.#capacityHint = Math.min(FIRST_CAPACITY, o.maxBatchBytes);
    // The idempotent sender writes each batch's CRC when it stamps producer id and sequence (both inside
    // the CRC), so a batch that only waits in memory for it is sealed without one: one CRC pass per batch
    // instead of two. A disk buffer's batches go into a log, which checks them; a test's transport may
    // read the bytes as they are: those are sealed complete.
    this.#checksumAtSeal = !(o.buffer.kind === 'memory' && o.idempotent && o.transport === undefined);
    // A memory buffer's spares may be all of it: the sealed batches it holds under load come back as spares
    // when the bus drains it faster for a while, and are filled again when the caller catches up (a cap
    // below the buffer's size would drop some each time and allocate them again). Spares count as held, so
    // the buffer still bounds them. A disk buffer's batches are not held in memory: one per batch in
    // flight, plus the one being filled.
    const slabs = o.buffer.kind === 'memory' ? Math.floor(o.buffer.maxBytes / o.maxBatchBytes) : 0;
    this.#pool = new BatchPool(o.maxBatchBytes, Math.max(slabs, this.#maxInFlight + 1));
    const jitter = o.breaker.jitter ?? (o.clock ? 0 : 0.2);
    this.#breaker = new CircuitBreaker(
      { ...o.breaker, jitter },
      () => clock.now(),
      (t) => this.#onTransition(t),
    );
    metrics.breakerState.set({ stream: o.stream }, 0);
    this.#changed();
    // Learn the partition count early, so that batches are sealed per partition from the start.
    this.#delivery = new BatchDelivery(o, clock, log);
    this.#delivery.start();
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
    // A batch's buffer done with: evicted from the memory buffer, or written to the disk buffer's log.
    let onEvicted = (_: SealedBatch): void => undefined;
    const b = options.buffer;
    const store =
      b.kind === 'memory'
        ? new MemoryStore((evicted) => onEvicted(evicted))
        : await DiskStore.open({
            dir: b.dir,
            maxBytes: b.maxBytes,
            segmentBytes: b.segmentBytes,
            durability: b.durability,
            logger: log,
            onQuarantine: (r) => onQuarantine(r),
            onWritten: (written) => onEvicted(written),
          });
    const publisher = new Publisher(options, store, clock, log, metrics);
    onQuarantine = (r) => publisher.#onQuarantine(r);
    onEvicted =
      b.kind === 'memory'
        ? (evicted) => publisher.#recycle(evicted)
        : (written) => publisher.#reuse(written.bytes);
    for (const r of reports) publisher.#onQuarantine(r);
    return publisher;
  }

  get state(): PublisherState {
    return {
      breaker: this.#breaker.state,
      bufferedBytes: this.#held(),
      bufferedRecords: this.#store.records + this.#openRecords,
      dropped: Object.fromEntries(this.#dropped),
      quarantined: [...this.#quarantined],
    };
  }

  /**
   * Takes one record. Never throws for bus trouble: 'accepted' (buffered), 'dropped' (counted), or, with
   * whenFull 'block' and a full buffer, a promise that resolves once the record is in the buffer. Throws
   * RecordTooLargeError for a record no batch could hold. A BufferedRecord's buffers are copied at once;
   * the caller may reuse them.
   */
  publish(record: AnyRecord): PublishResult {
    if (this.#closing) {
      this.#drop('closed', 1);
      return 'dropped';
    }
    const m = this.#measure;
    measure(record, m); // the clock is read only for a record without a timestamp
    // A record with room to spare (its fixed part plus the most its varints can add) is not sized again.
    if (RECORD_BATCH_OVERHEAD + m.fixed + 3 * 10 > this.#o.maxBatchBytes) {
      const alone = RECORD_BATCH_OVERHEAD + recordSize(m, 0, 0);
      if (alone > this.#o.maxBatchBytes) {
        throw new RecordTooLargeError(this.#o.stream, alone, 'maxBatchBytes', this.#o.maxBatchBytes);
      }
    }
    // Behind callers already waiting for room, to keep the order records were published in.
    if (this.#waiters.length > 0) return this.#wait(record);
    if (this.#add(record)) return 'accepted';
    switch (this.#o.buffer.whenFull) {
      case 'block':
        return this.#wait(record);
      case 'drop_newest':
        this.#drop('drop_newest', 1);
        return 'dropped';
      case 'drop_oldest':
        for (;;) {
          let n = this.#store.evictOldest(this.#inFlight);
          if (n > 0) this.#retry = [];
          else n = this.#evictOpen();
          if (n === 0) {
            // Only batches in flight are left: nothing older may go.
            this.#drop('drop_newest', 1);
            return 'dropped';
          }
          this.#drop('drop_oldest', n);
          if (this.#add(record)) return 'accepted';
        }
    }
  }

  /** publish() of a PreparedRecord (the telemetry port's name for it). */
  publishPrepared(record: PreparedRecord): PublishResult {
    return this.publish(record);
  }

  /**
   * Seals the batches being filled and resolves once every record accepted so far is in the buffer:
   * written to the log for a disk buffer (what survives a process kill). Does not wait for the bus.
   */
  whenBuffered(): Promise<void> {
    this.#seal();
    return this.#store.stored();
  }

  /** Seals the batches being filled and resolves once everything buffered is acknowledged by the bus. */
  async flush(timeoutMs: number): Promise<void> {
    this.#seal();
    const done = (): boolean =>
      this.#store.records === 0 && this.#openRecords === 0 && this.#waiters.length === 0;
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
    const closing = this.#delivery.close();
    if (closing) await this.#bounded(closing, Math.max(deadline - this.#clock.now(), 1000));
  }

  #held(): number {
    return this.#store.bytes + this.#openBytes + this.#pool.spareBytes;
  }

  #room(extra: number): boolean {
    if (this.#held() + extra <= this.#o.buffer.maxBytes) return true;
    if (this.#pool.spares === 0) return false;
    this.#pool.clear();
    return this.#held() + extra <= this.#o.buffer.maxBytes;
  }

  /** Partition of the record just measured: -1 while the topic's partition count is unknown. */
  #partitionOf(record: AnyRecord): number {
    const producer = this.#delivery.producer;
    const count = producer?.knownPartitions?.(this.#o.topic);
    if (count === undefined) return -1;
    return this.#partitioner.partitionOf(record, count, this.#availablePartitions);
  }

  /** Writes the record just measured (this.#measure) into its partition's batch, if there is room. */
  #add(record: AnyRecord): boolean {
    const m = this.#measure;
    const max = this.#o.maxBatchBytes;
    const partition = this.#partitionOf(record);
    let batch = this.#open.get(partition);
    if (batch !== undefined) {
      const size = batch.sizeOf(m);
      if (batch.size + size > max) {
        this.#sealOne(batch, true);
        batch = undefined;
      } else if (batch.size + size > batch.capacity && !this.#grow(batch, batch.size + size)) return false;
    }
    if (batch === undefined) {
      const buf = this.#newBuffer(RECORD_BATCH_OVERHEAD + recordSize(m, 0, 0));
      if (buf === undefined) return false;
      batch = new OpenBatch(partition, buf.length, buf);
      this.#open.set(partition, batch);
      this.#openBytes += buf.length;
      this.#linger ??= this.#clock.setTimer(() => this.#seal(), this.#o.lingerMs);
    }
    batch.append(record, m);
    this.#openRecords++;
    if (batch.size >= max) this.#sealOne(batch, true);
    return true;
  }

  /**
   * The buffer of a new batch whose first record needs `need` bytes, or undefined when the buffer has no
   * room for it. Under load (the last batch ended more than a quarter full) a full-size one: a spare if there is one (its room
   * is already counted), else a new one if there is room, else none while a sealed batch will give room
   * back (acknowledged, or evicted by drop_oldest): starting small instead would mean growing by copies,
   * garbage for every batch while the buffer stays full. When traffic is light, the size the last batch
   * ended at (up to a quarter of maxBatchBytes), or just the record when that is all the room left.
   */
  #newBuffer(need: number): Buffer | undefined {
    const max = this.#o.maxBatchBytes;
    if (this.#capacityHint > max >> 2) {
      const spare = this.#pool.take();
      if (spare !== undefined) return spare;
      if (this.#room(max)) return this.#pool.allocate();
      if (this.#store.batches > 0) return undefined;
    }
    let capacity = Math.min(max, Math.max(this.#capacityHint, need));
    if (!this.#room(capacity)) capacity = need;
    if (!this.#room(capacity)) return undefined;
    return capacity === max
      ? this.#pool.allocate()
      : Buffer.allocUnsafeSlow(Math.max(capacity, RECORD_BATCH_OVERHEAD));
  }

  /** Makes room in `batch` for `needed` bytes: into a spare full-size buffer, else by doubling. */
  #grow(batch: OpenBatch, needed: number): boolean {
    const max = this.#o.maxBatchBytes;
    const spare = this.#pool.take();
    if (spare !== undefined) {
      // The spare's bytes were counted as held already; the batch's old (smaller) buffer is let go.
      this.#openBytes += max - batch.capacity;
      batch.grow(max, spare);
      return true;
    }
    const want = Math.min(max, Math.max(batch.capacity * 2, needed));
    const capacity = this.#room(want - batch.capacity) ? want : needed;
    if (!this.#room(capacity - batch.capacity)) return false;
    this.#openBytes += capacity - batch.capacity;
    batch.grow(capacity);
    return true;
  }

  #sealOne(batch: OpenBatch, full = false): void {
    this.#open.delete(batch.partition);
    this.#partitioner.sealed(batch.partition);
    this.#openBytes -= batch.capacity;
    this.#openRecords -= batch.records;
    // A full-size buffer at least a quarter full is sealed as it is while the bus takes batches (it is
    // acknowledged soon, and comes back as a spare); copied to its exact size otherwise, when it may wait
    // long in the buffer (bus down) or is small (light traffic), so the buffer's room holds records, not slack.
    const max = this.#o.maxBatchBytes;
    const keepFrom = batch.capacity === max && this.#breaker.state === 'closed' ? max >> 2 : Infinity;
    const sealed = batch.seal(this.#o.compression, keepFrom, this.#checksumAtSeal);
    // The next batch starts the size this one ended: full size under load, small when traffic is light.
    this.#capacityHint = full ? max : Math.max(RECORD_BATCH_OVERHEAD, batch.size);
    this.#store.append(sealed);
    // Copied out (it had room to spare, or was compressed): its buffer is free for the next batch.
    if (sealed.bytes.buffer !== batch.buffer.buffer) this.#reuse(batch.buffer);
    if (this.#open.size === 0) {
      this.#linger?.cancel();
      this.#linger = undefined;
    }
    this.#wakePump?.();
    this.#changed();
  }

  #seal(): void {
    this.#linger?.cancel();
    this.#linger = undefined;
    for (const batch of [...this.#open.values()]) this.#sealOne(batch);
  }

  /** drop_oldest with nothing sealed to evict: the oldest batch being filled goes whole. */
  #evictOpen(): number {
    const first = this.#open.values().next();
    if (first.done) return 0;
    const batch = first.value;
    this.#open.delete(batch.partition);
    this.#openBytes -= batch.capacity;
    this.#openRecords -= batch.records;
    this.#reuse(batch.buffer);
    return batch.records;
  }

  #wait(record: AnyRecord): Promise<void> {
    // A BufferedRecord is held by reference while it waits: the caller was told it is not buffered yet.
    return new Promise((resolve) => this.#waiters.push({ record, resolve }));
  }

  #admitWaiters(): void {
    while (this.#waiters.length > 0) {
      const w = this.#waiters[0];
      measure(w.record, this.#measure);
      if (!this.#add(w.record)) break;
      this.#waiters.shift();
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
    this.#metrics.bufferedBytes.set({ stream }, this.#held());
    this.#metrics.bufferedRecords.set({ stream }, this.#store.records + this.#openRecords);
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
      try {
        await this.#round();
      } catch (err) {
        // The store failed (a disk error it could not quarantine): wait, then try again; never a tight loop.
        this.#log.error({ err }, 'buffer read failed');
        this.#inFlight = 0;
        await this.#sleep(this.#o.breaker.halfOpenAfterMs);
      } finally {
        this.#inFlight = 0;
        this.#admitWaiters();
        this.#changed();
      }
    }
  }

  /**
   * Sends the oldest batches, up to maxInFlight at a time (one while the breaker is half-open: the probe),
   * acknowledging them in order as they succeed. Returns when the buffer is empty, on close, or after the
   * first failure (once the sends still in flight settled: the next round resends from the oldest one not
   * acknowledged, those of this round as they were).
   */
  async #round(): Promise<void> {
    const window: { batch: SealedBatch; ok: Promise<boolean> }[] = [];
    for (;;) {
      const limit = this.#breaker.state === 'closed' ? this.#maxInFlight : 1;
      while (!this.#stopPump && window.length < limit && window.length < this.#store.batches) {
        const batch = this.#retry[window.length] ?? (await this.#store.at(window.length));
        if (batch === undefined) break;
        // A batch sealed before the partitions were known is split when sent: nothing passes it meanwhile.
        const unsplit = (b: SealedBatch): boolean => b.partition < 0;
        if (window.length > 0 && (unsplit(batch) || unsplit(window[window.length - 1].batch))) break;
        window.push({ batch, ok: this.#delivery.send(batch) });
        this.#inFlight = window.length;
      }
      if (window.length === 0) return;
      if (await window[0].ok) {
        const { batch } = window.shift()!;
        this.#retry.shift();
        await this.#store.ackHead();
        this.#recycle(batch);
        this.#inFlight = window.length;
        this.#metrics.sent.inc({ stream: this.#o.stream }, batch.records);
        this.#breaker.success();
        this.#admitWaiters();
        this.#changed();
        continue;
      }
      this.#metrics.sendFailures.inc({ stream: this.#o.stream });
      this.#breaker.failure();
      await Promise.all(window.map((w) => w.ok));
      this.#retry = window.map((w) => w.batch);
      return;
    }
  }

  /**
   * A batch of the memory buffer acknowledged (its bytes went out before the bus could acknowledge them)
   * or evicted: its full-size buffer serves again. Not one a send failed for (a late copy of its request
   * may still be queued), nor a disk buffer's (read back from the log, and the log may still be writing
   * the batch it was sealed as).
   */
  #recycle(batch: SealedBatch): void {
    if (this.#o.buffer.kind === 'memory' && !this.#delivery.failedOnce(batch)) this.#reuse(batch.bytes);
  }

  /**
   * Keeps a full-size buffer nothing refers to any more as a spare, while the buffer has room for it (spares
   * count as held, and are given up when a record needs the room): under load the publisher then writes into
   * the same few buffers instead of allocating new ones for the garbage collector.
   */
  #reuse(bytes: Uint8Array): void {
    if (this.#held() + this.#o.maxBatchBytes <= this.#o.buffer.maxBytes && this.#pool.give(bytes)) {
      this.#changed();
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
