// The offset store's single writer: every change goes through its queue, in call order. A loop hands every
// change waiting at that moment to one writev and, in fsync mode, one fsync (group commit without a timer:
// what arrives during an fsync waits for the next one), then applies them to the in-memory state and
// acknowledges them. The same loop installs compacted files, so nothing else ever writes the live file.
//
// A failed write or fsync rejects the changes it carried with OffsetStoreStorageError and marks the store
// failed; before the next change the loop heals it by writing the acknowledged state to a fresh file, exactly
// as a compaction does, so one bad write does not disable the store until a restart.
import type { LogFile, LogFs } from '../../log/fs.ts';
import type { Durability } from '../../log/index.ts';
import type { LogLogger } from '../../log/logger.ts';
import {
  CompactionAbortedError,
  InstallError,
  discardFile,
  installCompactedFile,
  writeCompactedFile,
  type PreparedFile,
} from './compaction.ts';
import { MAX_ENTRY_BYTES, encodeEntry } from './entries.ts';
import { OffsetStoreClosedError, OffsetStoreEntryTooLargeError, OffsetStoreStorageError } from './errors.ts';
import type { OffsetState } from './state.ts';
import type { StoreEntry } from './types.ts';

// One writev is capped, as in the partition log, so that a burst is acknowledged in steps.
const MAX_RUN_ENTRIES = 1024;
const MAX_RUN_BYTES = 8 * 1024 * 1024;

export interface WriterOptions {
  durability: Durability;
  logger: LogLogger;
  compactAfterBytes: number;
  clock: () => number;
}

export interface WriterStats {
  fileBytes: number;
  compactions: number;
  /** fsyncs of the live file done to acknowledge changes or on the interval timer. */
  syncs: number;
  /** A write or fsync failed and the file has not been rewritten since. */
  failed: boolean;
}

interface Pending {
  entry: StoreEntry;
  bytes: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Compaction {
  reason: string;
  /** Entries acknowledged after the snapshot was taken: appended to the new file before it is installed. */
  tail: Buffer[];
  tailBytes: number;
  aborted: boolean;
  prepared: PreparedFile | undefined;
  task: Promise<void>;
}

const DONE = Promise.resolve();

export class StoreWriter {
  readonly #fs: LogFs;
  readonly #path: string;
  readonly #state: OffsetState;
  readonly #options: WriterOptions;
  #file: LogFile;
  #size: number;
  #queue: Pending[] = [];
  #running = false;
  #kickScheduled = false;
  #idleWaiters: (() => void)[] = [];
  /** Written but not fsynced (none and interval modes). */
  #dirty = false;
  #syncWanted = false;
  #timer: NodeJS.Timeout | undefined;
  #failure: OffsetStoreStorageError | undefined;
  #compaction: Compaction | undefined;
  /** After a failed compaction, the file size before which another is not tried. */
  #retryCompactionAt = 0;
  #compactions = 0;
  #syncs = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  /** `file` holds `size` bytes of good entries whose replay is `state`; the writer appends after them. */
  constructor(
    fs: LogFs,
    path: string,
    file: LogFile,
    size: number,
    state: OffsetState,
    options: WriterOptions,
  ) {
    this.#fs = fs;
    this.#path = path;
    this.#file = file;
    this.#size = size;
    this.#state = state;
    this.#options = options;
    const { durability } = options;
    if (durability.mode === 'interval') {
      this.#timer = setInterval(() => {
        if (!this.#dirty) return;
        this.#syncWanted = true;
        this.#kick();
      }, durability.intervalMs);
      this.#timer.unref();
    }
  }

  get stats(): WriterStats {
    return {
      fileBytes: this.#size,
      compactions: this.#compactions,
      syncs: this.#syncs,
      failed: this.#failure !== undefined,
    };
  }

  /** Resolves once `entry` is written (and fsynced in fsync mode) and applied to the state. */
  enqueue(entry: StoreEntry, tooLargeCode: number): Promise<void> {
    if (this.#closed) return Promise.reject(new OffsetStoreClosedError(this.#path));
    const bytes = encodeEntry(entry);
    if (bytes.length > MAX_ENTRY_BYTES) {
      const message = `offset store: a ${entry.type} entry of ${bytes.length} bytes is over the ${MAX_ENTRY_BYTES}-byte limit`;
      return Promise.reject(new OffsetStoreEntryTooLargeError(message, tooLargeCode));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ entry, bytes, resolve, reject });
      this.#kick();
    });
  }

  /** Waits for every change already enqueued, abandons a compaction, fsyncs (every mode) and closes. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Starts the loop unless it runs; in a microtask, so changes made in one synchronous burst share a write. */
  #kick(): void {
    if (this.#running || this.#kickScheduled) return;
    this.#kickScheduled = true;
    queueMicrotask(() => {
      this.#kickScheduled = false;
      if (this.#running) return;
      this.#running = true;
      void this.#loop();
    });
  }

  async #loop(): Promise<void> {
    try {
      for (;;) {
        if (this.#failure) {
          if (this.#queue.length === 0) break; // heal when a change needs it, not before
          if (!(await this.#heal())) {
            for (const p of this.#queue.splice(0)) p.reject(this.#failure);
            continue;
          }
        }
        const compaction = this.#compaction;
        if (compaction?.prepared && !compaction.aborted) await this.#install(compaction, compaction.prepared);
        else if (this.#queue.length > 0) await this.#writeRun();
        else if (this.#syncWanted) await this.#syncDirty();
        else break;
      }
    } catch (err) {
      // Nothing above is meant to throw; if it does, fail what waits rather than leave it hanging.
      this.#fail(err, 'the writer');
      for (const p of this.#queue.splice(0)) p.reject(this.#failure!);
    } finally {
      this.#running = false;
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  async #writeRun(): Promise<void> {
    let n = 0;
    let bytes = 0;
    while (n < this.#queue.length && n < MAX_RUN_ENTRIES) {
      if (n > 0 && bytes + this.#queue[n].bytes.length > MAX_RUN_BYTES) break;
      bytes += this.#queue[n].bytes.length;
      n += 1;
    }
    const run = this.#queue.splice(0, n);
    let step = 'write';
    try {
      await this.#file.write(
        run.map((p) => p.bytes),
        this.#size,
      );
      if (this.#options.durability.mode === 'fsync') {
        step = 'fsync';
        await this.#file.sync();
        this.#syncs += 1;
      } else {
        this.#dirty = true;
      }
    } catch (err) {
      this.#fail(err, step);
      for (const p of run) p.reject(this.#failure!);
      return;
    }
    this.#size += bytes;
    const compaction = this.#compaction;
    for (const p of run) {
      this.#state.apply(p.entry, p.bytes.length);
      if (compaction) {
        compaction.tail.push(p.bytes);
        compaction.tailBytes += p.bytes.length;
      }
      p.resolve();
    }
    this.#maybeCompact();
  }

  /** The interval timer's fsync. A failure cannot reject anything (it was acknowledged): heal next time. */
  async #syncDirty(): Promise<void> {
    this.#syncWanted = false;
    if (!this.#dirty || this.#failure) return;
    this.#dirty = false;
    try {
      await this.#file.sync();
      this.#syncs += 1;
    } catch (err) {
      this.#fail(err, 'fsync');
    }
  }

  #fail(cause: unknown, what: string): OffsetStoreStorageError {
    const message = `offset store ${this.#path}: ${what} failed: ${(cause as Error).message}`;
    this.#failure = new OffsetStoreStorageError(message, { cause });
    this.#options.logger.error(
      { err: cause, path: this.#path },
      `offset store ${what} failed; changes in flight are rejected and the acknowledged state will be rewritten`,
    );
    return this.#failure;
  }

  // ---- compaction, and healing, which is a compaction the store cannot do without ----

  #maybeCompact(): void {
    if (this.#compaction || this.#closed) return;
    const { compactAfterBytes } = this.#options;
    if (this.#size <= compactAfterBytes || this.#size < this.#retryCompactionAt) return;
    if (this.#state.liveBytes * 2 > this.#size) return; // mostly live: rewriting would gain little
    this.#startCompaction('the file is large and mostly dead entries');
  }

  /** Snapshots the acknowledged state now and writes it to the temporary file in the background. */
  #startCompaction(reason: string): Compaction {
    const snapshot = this.#state.clone();
    const c: Compaction = { reason, tail: [], tailBytes: 0, aborted: false, prepared: undefined, task: DONE };
    this.#compaction = c;
    const createdAt = BigInt(this.#options.clock());
    c.task = (async () => {
      try {
        c.prepared = await writeCompactedFile(
          this.#fs,
          `${this.#path}.tmp`,
          snapshot,
          createdAt,
          () => c.aborted,
        );
        if (!c.aborted) this.#kick(); // the loop installs it
      } catch (err) {
        if (this.#compaction === c) this.#compaction = undefined;
        if (!(err instanceof CompactionAbortedError)) this.#compactionFailed(err);
      }
    })();
    return c;
  }

  /** Runs inside the loop, so nothing else writes meanwhile; changes that arrive wait in the queue. */
  async #install(c: Compaction, prepared: PreparedFile): Promise<void> {
    this.#compaction = undefined;
    const before = this.#size;
    let file: LogFile;
    try {
      file = await installCompactedFile(this.#fs, prepared, c.tail, this.#path);
    } catch (err) {
      if (err instanceof InstallError && err.renamed) {
        // The old file is no longer the store, and the rename might not survive a crash: rewrite again.
        this.#fail(err.cause, 'finishing a compaction after its rename');
      } else {
        this.#compactionFailed(err);
      }
      return;
    }
    const old = this.#file;
    this.#file = file;
    this.#size = prepared.size + c.tailBytes;
    this.#dirty = false;
    await old.close().catch(() => undefined);
    const healed = this.#failure !== undefined;
    this.#failure = undefined;
    this.#compactions += 1;
    this.#options.logger.info(
      { path: this.#path, reason: c.reason, beforeBytes: before, afterBytes: this.#size, healed },
      'offset store compacted',
    );
  }

  #compactionFailed(err: unknown): void {
    this.#retryCompactionAt = this.#size + Math.ceil(this.#options.compactAfterBytes / 2);
    this.#options.logger.warn(
      { err, path: this.#path, retryAtBytes: this.#retryCompactionAt },
      'offset store compaction failed; the current file stays in use',
    );
  }

  /**
   * After a failure: writes the acknowledged state to a fresh file and installs it; true on success. A
   * compaction already under way will do: its snapshot plus its tail is exactly the acknowledged state.
   */
  async #heal(): Promise<boolean> {
    const c = this.#compaction ?? this.#startCompaction('rewrite after a failed write or fsync');
    await c.task;
    if (c.prepared && this.#compaction === c) await this.#install(c, c.prepared);
    return this.#failure === undefined;
  }

  #whenIdle(): Promise<void> {
    if (!this.#running && !this.#kickScheduled) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #shutdown(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#whenIdle(); // every change enqueued before close() is written (or rejected)
    const c = this.#compaction;
    if (c) {
      c.aborted = true;
      await c.task;
      await this.#whenIdle(); // a loop kicked before the abort: it installs nothing aborted
      if (this.#compaction === c && c.prepared) await discardFile(this.#fs, c.prepared.file);
      this.#compaction = undefined;
    }
    try {
      if (!this.#failure) await this.#file.sync();
    } catch (err) {
      this.#options.logger.error({ err, path: this.#path }, 'offset store: the final fsync failed');
    }
    await this.#file.close().catch(() => undefined);
  }
}
