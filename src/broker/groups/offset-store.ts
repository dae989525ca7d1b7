// The durable store of committed offsets and group metadata: one append-only file of checksummed entries
// under <dataDir>/__consumer_offsets/, replayed into memory on open, compacted when it is large and mostly
// dead. Format, recovery, durability and failure rules: docs/storage.md, "Committed offsets and group
// metadata". This file is the API the group coordinator uses; the parts live in ./store/.
//
// Reads are synchronous, from memory, and see only acknowledged changes. Changes are checked (a bad
// argument is a TypeError or RangeError naming it), then applied in call order once durable as the
// broker's durability setting asks (store/writer.ts: group commit, failures, compaction, healing).
import type { Durability } from '../log/index.ts';
import type { LogFs } from '../log/fs.ts';
import type { LogLogger } from '../log/logger.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import { openStoreFile } from './store/open.ts';
import type { OffsetState } from './store/state.ts';
import type { CommittedOffset, StoredGroup, TopicPartitionRef } from './store/types.ts';
import { checkGroup, checkOffset, checkPartition, checkString, objectAt } from './store/validate.ts';
import { StoreWriter, type WriterStats } from './store/writer.ts';

export type { CommittedOffset, StoredGroup, StoredGroupMember, TopicPartitionRef } from './store/types.ts';
export {
  OffsetStoreClosedError,
  OffsetStoreEntryTooLargeError,
  OffsetStoreError,
  OffsetStoreFormatError,
  OffsetStoreStorageError,
} from './store/errors.ts';
export { STORE_FORMAT_VERSION } from './store/entries.ts';
export { OFFSET_STORE_DIR, OFFSET_STORE_FILE } from './store/open.ts';

export const DEFAULT_COMPACT_AFTER_BYTES = 16 * 1024 * 1024;
const MIN_COMPACT_AFTER_BYTES = 1024;

export interface OffsetStoreOptions {
  durability: Durability;
  /** A pino logger or anything with its four methods. */
  logger: LogLogger;
  /** Compact once the file is larger than this and at least half of it is dead (default 16 MiB). */
  compactAfterBytes?: number;
  /** Milliseconds since the epoch, for file headers and damaged-tail file names (default Date.now). */
  clock?: () => number;
}

export interface OffsetStoreStats extends WriterStats {
  /** Estimate of the bytes a compacted file would take. */
  liveBytes: number;
}

const EMPTY: ReadonlyMap<string, ReadonlyMap<number, CommittedOffset>> = new Map();

export class OffsetStore {
  /** The store's file. */
  readonly path: string;
  readonly #state: OffsetState;
  readonly #writer: StoreWriter;

  private constructor(path: string, state: OffsetState, writer: StoreWriter) {
    this.path = path;
    this.#state = state;
    this.#writer = writer;
  }

  /**
   * Opens (creating if needed) the store under `dataDir`, replaying its file. A torn or corrupt tail is
   * truncated (the dropped bytes are kept in a `.damaged-*` file next to it, and logged); a file with a
   * damaged header or an unknown format version throws OffsetStoreFormatError naming it.
   */
  static async open(fs: LogFs, dataDir: string, options: OffsetStoreOptions): Promise<OffsetStore> {
    const compactAfterBytes = options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES;
    if (!Number.isSafeInteger(compactAfterBytes) || compactAfterBytes < MIN_COMPACT_AFTER_BYTES) {
      throw new RangeError(
        `offset store compactAfterBytes must be an integer >= ${MIN_COMPACT_AFTER_BYTES}, got ${String(compactAfterBytes)}`,
      );
    }
    const { durability, logger } = options;
    if (durability.mode === 'interval' && !(durability.intervalMs > 0)) {
      throw new RangeError(`offset store durability intervalMs must be > 0, got ${durability.intervalMs}`);
    }
    const clock = options.clock ?? Date.now;
    const { path, file, size, state } = await openStoreFile(fs, dataDir, logger, clock);
    const writer = new StoreWriter(fs, path, file, size, state, {
      durability,
      logger,
      compactAfterBytes,
      clock,
    });
    return new OffsetStore(path, state, writer);
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
    return { ...this.#writer.stats, liveBytes: this.#state.liveBytes };
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
    await this.#writer.enqueue({ type: 'offsets', group, offsets }, ErrorCode.INVALID_COMMIT_OFFSET_SIZE);
  }

  /** Deletes the given offsets of `group`, or all of them when `partitions` is undefined. */
  async deleteOffsets(group: string, partitions?: TopicPartitionRef[]): Promise<void> {
    checkString('deleteOffsets: group', group);
    if (partitions !== undefined && !Array.isArray(partitions)) {
      throw new TypeError('deleteOffsets: partitions must be an array or undefined');
    }
    const where = 'deleteOffsets: partitions';
    const refs = partitions?.map((p, i) => ({
      topic: checkString(`${where}[${i}].topic`, objectAt(where, p, i).topic, { nonEmpty: true }),
      partition: checkPartition(`${where}[${i}].partition`, p.partition),
    }));
    if (refs?.length === 0) return;
    await this.#writer.enqueue(
      { type: 'deleteOffsets', group, partitions: refs },
      ErrorCode.UNKNOWN_SERVER_ERROR,
    );
  }

  /** A deleted topic's offsets go, in every group. */
  async deleteTopic(topic: string): Promise<void> {
    checkString('deleteTopic: topic', topic, { nonEmpty: true });
    await this.#writer.enqueue({ type: 'deleteTopic', topic }, ErrorCode.UNKNOWN_SERVER_ERROR);
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
    await this.#writer.enqueue({ type: 'group', groupId, group: value }, ErrorCode.UNKNOWN_SERVER_ERROR);
  }

  /**
   * Waits for every change already made, fsyncs and closes the file (in every durability mode). Later
   * changes reject with OffsetStoreClosedError; reads go on.
   */
  close(): Promise<void> {
    return this.#writer.close();
  }
}
