// The write side of a partition log: appends are queued in offset order, written by a single writer that
// hands every batch waiting at that moment to one writev(2), and (in fsync mode) made durable by a single
// syncer that covers every batch written while the previous fsync ran. That is group commit without a
// timer: under load each fsync covers all the producers that arrived during the previous one, and an append
// on an idle log pays for exactly one fsync.
//
// Nothing becomes visible to readers (the high watermark) before the policy allows: in fsync mode after the
// fsync that covers it, otherwise as soon as its write returns. A failed write or fsync fails every append
// not yet acknowledged with a StorageError and stops the pipeline; the log accepts no more appends until it
// is reopened, and nothing already acknowledged is touched again.
import { StorageError } from './errors.ts';
import type { Segment } from './segment.ts';

export type Durability = { mode: 'fsync' } | { mode: 'interval'; intervalMs: number } | { mode: 'none' };

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** The time the broker stamped on the batch (LogAppendTime), or -1 when it kept the producer's. */
  logAppendTime: bigint;
}

export interface PendingAppend {
  segment: Segment;
  position: number;
  data: Buffer;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  logAppendTime: bigint;
  resolve: (result: AppendResult) => void;
  reject: (err: Error) => void;
}

export interface PipelineHost {
  readonly dir: string;
  /** File work of moving from segment `from` to `to` (close and sync `from`, create `to`). */
  rollSegment(from: Segment, to: Segment): Promise<void>;
  /** The appends are durable as far as the policy asks: move the high watermark over them. */
  makeVisible(appends: readonly PendingAppend[]): void;
  /** The pipeline has stopped on a storage failure. */
  failed(err: StorageError): void;
}

// One writev is capped so a burst of appends becomes visible in steps rather than all at the end.
const MAX_RUN_APPENDS = 1024;
const MAX_RUN_BYTES = 8 * 1024 * 1024;

export class AppendPipeline {
  readonly #host: PipelineHost;
  readonly #durability: Durability;
  #queue: PendingAppend[] = [];
  #unsynced: PendingAppend[] = [];
  #dirty = new Set<Segment>();
  #writeSegment: Segment | undefined;
  #writing = false;
  #syncing = false;
  #timer: NodeJS.Timeout | undefined;
  #waiters: { ready: () => boolean; resolve: () => void }[] = [];
  /** Offset after the last batch enqueued / written / fsynced (fsync mode) so far. */
  #enqueuedEnd: bigint;
  #writtenEnd: bigint;
  #syncedEnd: bigint;
  failure: StorageError | undefined;
  /** fsyncs of segment files done by the pipeline (group-commit effectiveness, for metrics and tests). */
  syncs = 0;

  constructor(host: PipelineHost, durability: Durability, active: Segment) {
    this.#host = host;
    this.#durability = durability;
    this.#writeSegment = active;
    this.#enqueuedEnd = this.#writtenEnd = this.#syncedEnd = active.endOffset;
    if (durability.mode === 'interval') {
      this.#timer = setInterval(() => void this.#syncDirty(), durability.intervalMs);
      this.#timer.unref();
    }
  }

  enqueue(append: PendingAppend): void {
    this.#enqueuedEnd = append.lastOffset + 1n;
    this.#queue.push(append);
    if (!this.#writing) void this.#writeLoop();
  }

  /** Resolves when everything enqueued before the call is written and fsynced. */
  async flush(): Promise<void> {
    const target = this.#enqueuedEnd;
    await this.#until(() => this.#writtenEnd >= target);
    if (this.#durability.mode === 'fsync') await this.#until(() => this.#syncedEnd >= target);
    else await this.#syncDirty();
    if (this.failure) throw this.failure;
  }

  /** Stops the interval timer; the caller flushes first if it wants the data on disk. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #writeLoop(): Promise<void> {
    this.#writing = true;
    let run: PendingAppend[] = [];
    try {
      while (this.#queue.length > 0 && !this.failure) {
        const first = this.#queue[0];
        if (first.segment !== this.#writeSegment) {
          const from = this.#writeSegment!;
          await this.#host.rollSegment(from, first.segment);
          this.#dirty.delete(from); // rollSegment fsynced it
          this.#writeSegment = first.segment;
        }
        run = this.#takeRun(first.segment);
        await first.segment.file!.write(
          run.map((a) => a.data),
          first.position,
        );
        if (this.failure) {
          // The syncer failed while this write ran: these appends cannot be acknowledged.
          for (const a of run) a.reject(this.failure);
          run = [];
          break;
        }
        const last = run[run.length - 1];
        first.segment.writtenSize = last.position + last.data.length;
        this.#writtenEnd = last.lastOffset + 1n;
        this.#dirty.add(first.segment);
        if (this.#durability.mode === 'fsync') {
          this.#unsynced.push(...run);
          if (!this.#syncing) void this.#syncLoop();
        } else {
          this.#acknowledge(run);
        }
        run = [];
        this.#wake();
      }
    } catch (err) {
      this.#fail(err, 'write');
      for (const a of run) a.reject(this.failure!);
    } finally {
      this.#writing = false;
      this.#wake();
    }
  }

  #takeRun(segment: Segment): PendingAppend[] {
    let n = 0;
    let bytes = 0;
    while (n < this.#queue.length && n < MAX_RUN_APPENDS && this.#queue[n].segment === segment) {
      if (n > 0 && bytes + this.#queue[n].data.length > MAX_RUN_BYTES) break;
      bytes += this.#queue[n].data.length;
      n += 1;
    }
    return this.#queue.splice(0, n);
  }

  async #syncLoop(): Promise<void> {
    this.#syncing = true;
    let covered: PendingAppend[] = [];
    try {
      while (this.#unsynced.length > 0 && !this.failure) {
        // Everything in #unsynced was written before this point, so one fsync per file covers it all.
        covered = this.#unsynced;
        this.#unsynced = [];
        const files = [...this.#dirty];
        this.#dirty.clear();
        for (const seg of files) {
          await seg.file!.sync();
          this.syncs += 1;
        }
        this.#syncedEnd = covered[covered.length - 1].lastOffset + 1n;
        this.#acknowledge(covered);
        covered = [];
        this.#wake();
      }
    } catch (err) {
      this.#fail(err, 'fsync');
      for (const a of covered) a.reject(this.failure!);
    } finally {
      this.#syncing = false;
      this.#wake();
    }
  }

  /** fsync of every segment written since the last one (interval mode's timer, flush in other modes). */
  async #syncDirty(): Promise<void> {
    const files = [...this.#dirty];
    this.#dirty.clear();
    try {
      for (const seg of files) {
        if (seg.deleted || !seg.file) continue;
        await seg.file.sync();
        this.syncs += 1;
      }
    } catch (err) {
      this.#fail(err, 'fsync');
    }
  }

  #acknowledge(appends: PendingAppend[]): void {
    this.#host.makeVisible(appends);
    for (const a of appends) {
      a.resolve({ baseOffset: a.baseOffset, lastOffset: a.lastOffset, logAppendTime: a.logAppendTime });
    }
  }

  #fail(cause: unknown, what: string): void {
    if (!this.failure) {
      const message = `partition log ${this.#host.dir}: ${what} failed: ${(cause as Error).message}`;
      this.failure = new StorageError(message, { cause });
      this.stop();
      this.#host.failed(this.failure);
    }
    const pending = [...this.#unsynced, ...this.#queue];
    this.#unsynced = [];
    this.#queue = [];
    for (const a of pending) a.reject(this.failure);
    this.#wake();
  }

  #until(ready: () => boolean): Promise<void> {
    if (ready() || this.failure) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ ready, resolve }));
  }

  #wake(): void {
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const w of waiting) {
      if (w.ready() || this.failure) w.resolve();
      else this.#waiters.push(w);
    }
  }
}
