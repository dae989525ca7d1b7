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
//
// A roll (the writer moving to a new segment) makes the closed segment complete on disk: its data fsynced,
// then its index files written and fsynced, then the directory fsynced. In fsync mode that happens before the
// new segment's file is created, as part of the append path (its data is already fsynced per append, so it
// is cheap). In `none` and `interval` mode it would flush up to a whole segment of page cache while every
// producer waits, so it runs in the background instead: the new segment's file is created and appends go
// on at once. A background closer syncs the closed segments one at a time in roll order and syncs the
// directory only when all of them are complete (#closeLoop), so no segment's directory entry is made durable
// while the one before it may still be short. interval fsyncs, flush() and close() wait for it; a sync that
// fails counts in `closedSegmentSyncFailures` and fails the log like any failed fsync.
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
  /** A roll: `from` takes no more appends (closed in memory, its time index closing entry added). */
  sealSegment(from: Segment): void;
  /** Creates the file of the segment the writer moves to. */
  createSegmentFile(from: Segment, to: Segment): Promise<void>;
  /** Makes a sealed segment complete on disk: data fsynced, then its index files written and fsynced. */
  syncClosedSegment(seg: Segment): Promise<void>;
  /** fsync of the log's directory: the new segment's and the index files' entries become durable. */
  syncDir(): Promise<void>;
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
  /** Segments closed by a roll whose background sync (none/interval mode) has not started or ended. */
  #toClose: { segment: Segment; done: () => void }[] = [];
  /** Segments closed by a roll and not complete on disk yet (their sync, or the directory sync after it). */
  #closingSegments = new Set<Segment>();
  #closer: Promise<void> | undefined;
  #dirSync: Promise<void> | undefined;
  failure: StorageError | undefined;
  /** fsyncs of segment files done by the pipeline (group-commit effectiveness, for metrics and tests). */
  syncs = 0;
  /** Background syncs of segments closed by a roll that failed (each also fails the log). */
  closedSegmentSyncFailures = 0;

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

  /** Resolves when the background syncs of the segments closed so far have ended (even after a failure). */
  async closedSegmentsSynced(): Promise<void> {
    await Promise.all([...this.#closingSegments].map((seg) => seg.closing ?? Promise.resolve()));
  }

  async #writeLoop(): Promise<void> {
    this.#writing = true;
    let run: PendingAppend[] = [];
    try {
      while (this.#queue.length > 0 && !this.failure) {
        const first = this.#queue[0];
        if (first.segment !== this.#writeSegment) {
          await this.#roll(this.#writeSegment!, first.segment);
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

  /** Moves the writer from `from` to `to`; see the top of this file for the order of the file work. */
  async #roll(from: Segment, to: Segment): Promise<void> {
    this.#host.sealSegment(from);
    if (this.#durability.mode === 'fsync') {
      const synced = this.#host.syncClosedSegment(from);
      from.closing = synced.catch(() => undefined);
      await synced;
      // Only now: until this sync returned, the syncer must still fsync `from` for the appends it covers.
      this.#dirty.delete(from);
      await this.#host.createSegmentFile(from, to);
      await this.#host.syncDir();
      return;
    }
    this.#dirty.delete(from); // its data sync is part of closing it, in the background
    let done!: () => void;
    from.closing = new Promise<void>((resolve) => (done = resolve));
    this.#toClose.push({ segment: from, done });
    this.#closingSegments.add(from);
    if (!this.#closer) this.#closer = this.#closeLoop();
    // A directory sync in flight may make `to`'s entry durable, and `from` is not synced yet: wait for it
    // (rare: a roll during the short directory sync that ends a background close).
    if (this.#dirSync) await this.#dirSync.catch(() => undefined); // a failure is the closer's to report
    await this.#host.createSegmentFile(from, to);
  }

  /**
   * The background closer (none/interval mode): syncs every segment closed by a roll, oldest first, then the
   * directory, and again while rolls keep coming. The directory is synced only when every segment closed
   * so far is complete on disk, so a segment's entry never becomes durable while the one before it may still
   * be short. A failure fails the log (as any failed fsync) and ends the closer; the segments left are not
   * synced, and no directory sync makes their successors durable.
   */
  async #closeLoop(): Promise<void> {
    const synced: { segment: Segment; done: () => void }[] = [];
    const settle = () => {
      for (const entry of synced.splice(0)) {
        this.#closingSegments.delete(entry.segment);
        entry.done();
      }
    };
    let what = '';
    try {
      while (this.#toClose.length > 0) {
        while (this.#toClose.length > 0) {
          const entry = this.#toClose[0];
          what = `fsync of closed segment ${entry.segment.baseOffset}`;
          await this.#host.syncClosedSegment(entry.segment);
          synced.push(this.#toClose.shift()!);
        }
        what = 'directory fsync after closing segments';
        this.#dirSync = this.#host.syncDir().finally(() => (this.#dirSync = undefined));
        await this.#dirSync;
        settle();
      }
    } catch (err) {
      this.closedSegmentSyncFailures += 1;
      this.#fail(err, what);
      synced.push(...this.#toClose.splice(0));
      settle();
    } finally {
      this.#closer = undefined;
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

  /** fsync of every segment written since the last one (interval mode's timer, flush in other modes), after
   *  the background syncs of closed segments. */
  async #syncDirty(): Promise<void> {
    await this.closedSegmentsSynced(); // segments closed before now are part of what this sync promises
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
