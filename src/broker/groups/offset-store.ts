// The durable store of committed offsets and group metadata: one append-only file of checksummed entries
// under <dataDir>/__consumer_offsets/, replayed into memory on open, compacted when it is large and mostly
// dead. Format, recovery and durability rules: docs/storage.md, "Committed offsets and group metadata".
//
// Reads are synchronous, from memory, and see only acknowledged changes. Changes are applied to memory in
// the order they were called, when acknowledged: a single writer loop hands every change waiting at that
// moment to one writev and, in fsync mode, one fsync (group commit), then acknowledges them. The same loop
// installs compacted files, so nothing else ever writes the live file. A failed write or fsync rejects the
// changes it carried with OffsetStoreStorageError; before the next change the store rewrites its
// acknowledged state into a fresh file (as a compaction does), so one bad write does not disable it.
import { dirname, join } from 'node:path';
import type { LogFile, LogFs } from '../log/fs.ts';
import type { Durability } from '../log/index.ts';
import type { LogLogger } from '../log/logger.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import {
  CompactionAbortedError,
  discardFile,
  writeCompactedFile,
  type PreparedFile,
} from './store/compaction.ts';
import { MAX_ENTRY_BYTES, encodeEntry, encodeHeader } from './store/entries.ts';
import {
  OffsetStoreClosedError,
  OffsetStoreEntryTooLargeError,
  OffsetStoreStorageError,
} from './store/errors.ts';
import { keepDamagedBytes, removeIfPresent, writeFileAtomically } from './store/files.ts';
import { replayStore } from './store/replay.ts';
import type { OffsetState } from './store/state.ts';
import type { CommittedOffset, StoreEntry, StoredGroup, TopicPartitionRef } from './store/types.ts';
import { checkGroup, checkOffset, checkPartition, checkString } from './store/validate.ts';

export type { CommittedOffset, StoredGroup, StoredGroupMember, TopicPartitionRef } from './store/types.ts';
export {
  OffsetStoreClosedError,
  OffsetStoreEntryTooLargeError,
  OffsetStoreError,
  OffsetStoreFormatError,
  OffsetStoreStorageError,
} from './store/errors.ts';
export { STORE_FORMAT_VERSION } from './store/entries.ts';

/** The store's directory under the data directory. Never a partition directory: those end in -<n>. */
export const OFFSET_STORE_DIR = '__consumer_offsets';
export const OFFSET_STORE_FILE = 'offsets.log';
export const DEFAULT_COMPACT_AFTER_BYTES = 16 * 1024 * 1024;
const MIN_COMPACT_AFTER_BYTES = 1024;

// One writev is capped, as in the partition log, so that a burst is acknowledged in steps.
const MAX_RUN_ENTRIES = 1024;
const MAX_RUN_BYTES = 8 * 1024 * 1024;

export interface OffsetStoreOptions {
  durability: Durability;
  /** A pino logger or anything with its four methods. */
  logger: LogLogger;
  /** Compact once the file is larger than this and at least half of it is dead (default 16 MiB). */
  compactAfterBytes?: number;
  /** Milliseconds since the epoch, for file headers and damaged-tail file names (default Date.now). */
  clock?: () => number;
}

export interface OffsetStoreStats {
  fileBytes: number;
  /** Estimate of the bytes a compacted file would take. */
  liveBytes: number;
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

export class OffsetStore {
  readonly path: string;
  readonly #fs: LogFs;
  readonly #dir: string;
  readonly #tmpPath: string;
  readonly #durability: Durability;
  readonly #logger: LogLogger;
  readonly #compactAfterBytes: number;
  readonly #clock: () => number;
  readonly #state: OffsetState;
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

  private constructor(
    fs: LogFs,
    path: string,
    file: LogFile,
    size: number,
    state: OffsetState,
    options: Resolved,
  ) {
    this.path = path;
    this.#fs = fs;
    this.#dir = dirname(path);
    this.#tmpPath = `${path}.tmp`;
    this.#file = file;
    this.#size = size;
    this.#state = state;
    this.#durability = options.durability;
    this.#logger = options.logger;
    this.#compactAfterBytes = options.compactAfterBytes;
    this.#clock = options.clock;
    if (options.durability.mode === 'interval') {
      this.#timer = setInterval(() => {
        this.#syncWanted = true;
        this.#kick();
      }, options.durability.intervalMs);
      this.#timer.unref();
    }
  }

  /**
   * Opens (creating if needed) the store under `dataDir`, replaying its file. A torn or corrupt tail is
   * truncated (the dropped bytes are kept in a `.damaged-*` file next to it and logged); a file with a
   * damaged header or an unknown format version throws OffsetStoreFormatError naming it.
   */
  static async open(fs: LogFs, dataDir: string, options: OffsetStoreOptions): Promise<OffsetStore> {
    const resolved = resolveOptions(options);
    const { logger } = resolved;
    const dir = join(dataDir, OFFSET_STORE_DIR);
    const path = join(dir, OFFSET_STORE_FILE);
    const existed = await fs.stat(dir);
    await fs.mkdir(dir);
    if (!existed) await fs.syncDir(dataDir);
    if (await removeIfPresent(fs, `${path}.tmp`)) {
      logger.info({ path }, 'removed the file of an unfinished offset store compaction');
    }
    if (!(await fs.stat(path))) await writeFileAtomically(fs, path, [encodeHeader(BigInt(resolved.clock()))]);

    const file = await fs.open(path, 'readWrite');
    try {
      const replayed = await replayStore(file);
      const { damage, validBytes, fileBytes } = replayed;
      if (damage) {
        const keptIn = await keepDamagedBytes(fs, file, validBytes, fileBytes, resolved.clock());
        logger.warn(
          {
            path,
            position: validBytes,
            droppedBytes: fileBytes - validBytes,
            reason: `the entry at ${validBytes} ${damage.reason}`,
            entriesKept: replayed.entries,
            keptIn,
          },
          'truncated torn or corrupt offset store tail',
        );
        await file.truncate(validBytes);
      }
      // What replay saw may still be only in the page cache (a process killed in none mode): make it durable
      // before anything is acknowledged on top of it.
      await file.sync();
      logger.info(
        {
          path,
          entries: replayed.entries,
          bytes: validBytes,
          groups: replayed.state.groups.size,
          groupsWithOffsets: replayed.state.offsets.size,
        },
        'offset store opened',
      );
      return new OffsetStore(fs, path, file, validBytes, replayed.state, resolved);
    } catch (err) {
      await file.close().catch(() => undefined);
      throw err;
    }
  }

  // ---- reads: acknowledged state, from memory ----

  offset(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.#state.offsets.get(group)?.get(topic)?.get(partition);
  }

  /** topic → partition → offset: a live read-only view (copy it to keep it across an await). */
  offsets(group: string): ReadonlyMap<string, ReadonlyMap<number, CommittedOffset>> {
    return this.#state.offsets.get(group) ?? EMPTY;
  }

  groupsWithOffsets(): string[] {
    return [...this.#state.offsets.keys()];
  }

  /** The last persisted metadata of `groupId` (frozen). */
  group(groupId: string): StoredGroup | undefined {
    return this.#state.groups.get(groupId);
  }

  /** Groups with persisted metadata (a group can have metadata and no offsets, or the reverse). */
  groupsWithMetadata(): string[] {
    return [...this.#state.groups.keys()];
  }

  get stats(): OffsetStoreStats {
    return {
      fileBytes: this.#size,
      liveBytes: this.#state.liveBytes,
      compactions: this.#compactions,
      syncs: this.#syncs,
      failed: this.#failure !== undefined,
    };
  }

  // ---- changes: each resolves once durable per the durability setting ----

  async commit(
    group: string,
    entries: { topic: string; partition: number; value: CommittedOffset }[],
  ): Promise<void> {
    checkString('commit: group', group);
    if (!Array.isArray(entries)) throw new TypeError('commit: entries must be an array');
    const offsets = entries.map((e, i) => ({
      topic: checkString(`commit: entries[${i}].topic`, objectAt('commit: entries', e, i).topic, {
        nonEmpty: true,
      }),
      partition: checkPartition(`commit: entries[${i}].partition`, e.partition),
      value: checkOffset(`commit: entries[${i}].value`, e.value),
    }));
    if (offsets.length === 0) return;
    await this.#enqueue({ type: 'offsets', group, offsets }, ErrorCode.INVALID_COMMIT_OFFSET_SIZE);
  }

  /** Deletes the given offsets of `group`, or all of them when `partitions` is undefined. */
  async deleteOffsets(group: string, partitions?: TopicPartitionRef[]): Promise<void> {
    checkString('deleteOffsets: group', group);
    if (partitions !== undefined && !Array.isArray(partitions)) {
      throw new TypeError('deleteOffsets: partitions must be an array or undefined');
    }
    const refs = partitions?.map((p, i) => ({
      topic: checkString(
        `deleteOffsets: partitions[${i}].topic`,
        objectAt('deleteOffsets: partitions', p, i).topic,
        {
          nonEmpty: true,
        },
      ),
      partition: checkPartition(`deleteOffsets: partitions[${i}].partition`, p.partition),
    }));
    if (refs?.length === 0) return;
    await this.#enqueue({ type: 'deleteOffsets', group, partitions: refs }, ErrorCode.UNKNOWN_SERVER_ERROR);
  }

  /** A deleted topic's offsets go, in every group. */
  async deleteTopic(topic: string): Promise<void> {
    checkString('deleteTopic: topic', topic, { nonEmpty: true });
    await this.#enqueue({ type: 'deleteTopic', topic }, ErrorCode.UNKNOWN_SERVER_ERROR);
  }

  /**
   * Deletes the offsets of every topic for which `exists` says false; returns those topics. For start-up:
   * a crash between deleting a topic and deleting its offsets leaves offsets of a topic that is gone.
   */
  async retainTopics(exists: (topic: string) => boolean): Promise<string[]> {
    const gone = new Set<string>();
    for (const group of this.#state.offsets.values()) {
      for (const topic of group.keys()) if (!exists(topic)) gone.add(topic);
    }
    await Promise.all([...gone].map((topic) => this.deleteTopic(topic)));
    return [...gone];
  }

  /** Persists a group's metadata; null: the group is gone (DeleteGroups). */
  async putGroup(groupId: string, group: StoredGroup | null): Promise<void> {
    checkString('putGroup: groupId', groupId);
    const value = checkGroup('putGroup: group', group);
    await this.#enqueue({ type: 'group', groupId, group: value }, ErrorCode.UNKNOWN_SERVER_ERROR);
  }

  /** Waits for every change already made, stops, fsyncs and closes the file (in every durability mode). */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  // ---- the writer loop ----

  #enqueue(entry: StoreEntry, tooLargeCode: number): Promise<void> {
    if (this.#closed) return Promise.reject(new OffsetStoreClosedError(this.path));
    const bytes = encodeEntry(entry);
    if (bytes.length > MAX_ENTRY_BYTES) {
      return Promise.reject(
        new OffsetStoreEntryTooLargeError(
          `offset store: a ${entry.type} entry of ${bytes.length} bytes is over the ${MAX_ENTRY_BYTES}-byte limit`,
          tooLargeCode,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ entry, bytes, resolve, reject });
      this.#kick();
    });
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
            const failure =
              this.#failure ?? new OffsetStoreStorageError(`offset store ${this.path}: rewrite failed`);
            for (const p of this.#queue.splice(0)) p.reject(failure);
            continue;
          }
        }
        if (this.#compaction?.prepared && !this.#compaction.aborted) {
          await this.#install(this.#compaction);
          continue;
        }
        if (this.#queue.length > 0) {
          await this.#writeRun();
          continue;
        }
        if (this.#syncWanted) {
          this.#syncWanted = false;
          await this.#syncDirty();
          continue;
        }
        break;
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
    try {
      await this.#file.write(
        run.map((p) => p.bytes),
        this.#size,
      );
    } catch (err) {
      this.#fail(err, 'write');
      for (const p of run) p.reject(this.#failure!);
      return;
    }
    if (this.#durability.mode === 'fsync') {
      try {
        await this.#file.sync();
        this.#syncs += 1;
      } catch (err) {
        this.#fail(err, 'fsync');
        for (const p of run) p.reject(this.#failure!);
        return;
      }
    } else {
      this.#dirty = true;
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
    if (!this.#dirty || this.#failure) return;
    this.#dirty = false;
    try {
      await this.#file.sync();
      this.#syncs += 1;
    } catch (err) {
      this.#fail(err, 'fsync');
    }
  }

  #fail(cause: unknown, what: string): void {
    const message = `offset store ${this.path}: ${what} failed: ${(cause as Error).message}`;
    this.#failure = new OffsetStoreStorageError(message, { cause });
    this.#logger.error(
      { err: cause, path: this.path },
      `offset store ${what} failed; changes in flight are rejected and the acknowledged state will be rewritten`,
    );
  }

  // ---- compaction (and healing, which is a compaction the store cannot do without) ----

  #maybeCompact(): void {
    if (this.#compaction || this.#closed) return;
    if (this.#size <= this.#compactAfterBytes || this.#size < this.#retryCompactionAt) return;
    if (this.#state.liveBytes * 2 > this.#size) return; // mostly live: rewriting would gain little
    this.#startCompaction('the file is large and mostly dead entries');
  }

  /** Snapshots the acknowledged state now and writes it to the temporary file in the background. */
  #startCompaction(reason: string): Compaction {
    const snapshot = this.#state.clone();
    const c: Compaction = { reason, tail: [], tailBytes: 0, aborted: false, prepared: undefined, task: DONE };
    this.#compaction = c;
    c.task = (async () => {
      try {
        c.prepared = await writeCompactedFile(
          this.#fs,
          this.#tmpPath,
          snapshot,
          BigInt(this.#clock()),
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

  /**
   * Finishes a compaction inside the loop (nothing else writes meanwhile): appends what was acknowledged
   * since its snapshot, fsyncs, renames it over the live file and fsyncs the directory.
   */
  async #install(c: Compaction): Promise<void> {
    const { file, size } = c.prepared!;
    this.#compaction = undefined;
    try {
      if (c.tail.length > 0) await file.write(c.tail, size);
      await file.sync();
      await this.#fs.rename(this.#tmpPath, this.path);
    } catch (err) {
      await discardFile(this.#fs, file);
      this.#compactionFailed(err);
      return;
    }
    // The new file is the store from here on, whatever happens next. It is reopened by its new name rather
    // than written through the handle opened as .tmp: the same file on a real disk, but the fs seam (and the
    // fault fs behind it in tests) knows files by the path they were opened with.
    const before = this.#size;
    await file.close().catch(() => undefined);
    let reopened: LogFile;
    try {
      reopened = await this.#fs.open(this.path, 'readWrite');
    } catch (err) {
      this.#fail(err, 'reopening the file after a compaction');
      return;
    }
    const old = this.#file;
    this.#file = reopened;
    this.#size = size + c.tailBytes;
    this.#dirty = false;
    await old.close().catch(() => undefined);
    try {
      await this.#fs.syncDir(this.#dir);
    } catch (err) {
      // The rename may not survive a crash, and the old file no longer takes appends: rewrite again.
      this.#fail(err, 'fsync of the directory after a compaction');
      return;
    }
    const healed = this.#failure !== undefined;
    this.#failure = undefined;
    this.#compactions += 1;
    this.#logger.info(
      { path: this.path, reason: c.reason, beforeBytes: before, afterBytes: this.#size, healed },
      'offset store compacted',
    );
  }

  #compactionFailed(err: unknown): void {
    this.#retryCompactionAt = this.#size + Math.ceil(this.#compactAfterBytes / 2);
    this.#logger.warn(
      { err, path: this.path, retryAtBytes: this.#retryCompactionAt },
      'offset store compaction failed; the current file stays in use',
    );
  }

  /** After a failure: writes the acknowledged state to a fresh file and installs it. True on success. */
  async #heal(): Promise<boolean> {
    const c = this.#compaction ?? this.#startCompaction('rewrite after a failed write or fsync');
    await c.task;
    if (c.prepared && this.#compaction === c) await this.#install(c);
    return this.#failure === undefined;
  }

  #whenIdle(): Promise<void> {
    if (!this.#running && !this.#kickScheduled) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #shutdown(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#whenIdle(); // every change made before close() is written (or rejected)
    const c = this.#compaction;
    if (c) {
      c.aborted = true;
      await c.task;
      await this.#whenIdle(); // a loop started before the abort: it installs nothing aborted
      if (this.#compaction === c && c.prepared) await discardFile(this.#fs, c.prepared.file);
      this.#compaction = undefined;
    }
    try {
      if (!this.#failure) await this.#file.sync();
    } catch (err) {
      this.#logger.error({ err, path: this.path }, 'offset store: the final fsync failed');
    }
    await this.#file.close().catch(() => undefined);
  }
}

const DONE = Promise.resolve();

function objectAt<T>(where: string, value: T, index: number): T {
  if (typeof value !== 'object' || value === null)
    throw new TypeError(`${where}[${index}] must be an object`);
  return value;
}

const EMPTY: ReadonlyMap<string, ReadonlyMap<number, CommittedOffset>> = new Map();

interface Resolved {
  durability: Durability;
  logger: LogLogger;
  compactAfterBytes: number;
  clock: () => number;
}

function resolveOptions(options: OffsetStoreOptions): Resolved {
  const compactAfterBytes = options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES;
  if (!Number.isSafeInteger(compactAfterBytes) || compactAfterBytes < MIN_COMPACT_AFTER_BYTES) {
    throw new RangeError(
      `offset store compactAfterBytes must be an integer >= ${MIN_COMPACT_AFTER_BYTES}, got ${String(compactAfterBytes)}`,
    );
  }
  const { durability } = options;
  if (durability.mode === 'interval' && !(durability.intervalMs > 0)) {
    throw new RangeError(`offset store durability intervalMs must be > 0, got ${durability.intervalMs}`);
  }
  return { durability, logger: options.logger, compactAfterBytes, clock: options.clock ?? Date.now };
}
