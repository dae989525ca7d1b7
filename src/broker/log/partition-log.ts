// The durable log of one topic-partition: segments of raw record batches with sparse offset and time
// indexes, appends with a durability policy (group-commit fsync, interval, none), whole-batch reads up to
// the high watermark, timestamp lookups, retention and DeleteRecords. It knows nothing of the Kafka
// protocol handlers or the broker: the SDK producer's disk buffer uses it as it is. docs/storage.md
// describes the files; recovery.ts the rules for opening them.
import { join } from 'node:path';
import { MAX_TIMESTAMP_OFFSET, setBaseOffset, setPartitionLeaderEpoch } from '../../protocol/record-batch.ts';
import { AppendPipeline } from './append-pipeline.ts';
import type { AppendResult, Durability, PendingAppend, PipelineHost } from './append-pipeline.ts';
import { segmentBatchHeaders } from './batch-headers.ts';
import type { StoredBatchHeader } from './batch-headers.ts';
import { IndexBuilder, scanSegment } from './batch-walk.ts';
import { appendableDelta, stampLogAppendTime } from './batch-stamp.ts';
import { writeLogStartOffset } from './checkpoint.ts';
import { CorruptLogError, LogClosedError, OffsetOutOfRangeError, StorageError } from './errors.ts';
import type { Corruption } from './errors.ts';
import type { LogFs } from './fs.ts';
import { IndexCache } from './index-cache.ts';
import { silentLogger } from './logger.ts';
import type { LogLogger } from './logger.ts';
import { resolveLogOptions } from './options.ts';
import type { PartitionLogOptions, ResolvedLogOptions } from './options.ts';
import { recoverLog } from './recovery.ts';
import type { RecoveredLog } from './recovery.ts';
import { selectRetention } from './retention.ts';
import type { RetentionPolicy } from './retention.ts';
import { LOG_SUFFIX, Segment } from './segment.ts';
import { locateBatch, readBatches } from './segment-read.ts';
import type { ReadProblem } from './segment-read.ts';
import { offsetForTimestamp, offsetOfMaxTimestamp } from './timestamp-lookup.ts';
import type { LookupContext, TimestampOffset } from './timestamp-lookup.ts';

export interface AppendOptions {
  leaderEpoch?: number;
  /** Stamp the batch with the broker's time (LogAppendTime: attribute bit 3, max timestamp, new CRC). */
  logAppendTime?: boolean;
}

export interface ReadResult {
  /** Whole batches back to back, exactly as stored; empty at the high watermark. */
  records: Buffer;
  highWatermark: bigint;
  logStartOffset: bigint;
  /** The offset after the last batch returned (the fetch offset when none): where to read next. */
  nextOffset: bigint;
}

export interface RetentionResult {
  deleted: { baseOffset: bigint; endOffset: bigint; sizeBytes: number; reason: 'time' | 'size' }[];
  logStartOffset: bigint;
}

export type { AppendResult, Durability, PartitionLogOptions, TimestampOffset };

const MAX_RELATIVE_OFFSET = 2n ** 31n - 1n;
const EMPTY = Buffer.alloc(0);

export class PartitionLog {
  readonly dir: string;
  readonly #fs: LogFs;
  readonly #logger: LogLogger;
  readonly #options: ResolvedLogOptions;
  readonly #indexes: IndexCache;
  #segments: Segment[];
  #logStartOffset: bigint;
  #nextOffset: bigint;
  #highWatermark: bigint;
  #corruption: Corruption | undefined;
  #pipeline: AppendPipeline;
  #closed = false;
  #listeners = new Set<(highWatermark: bigint) => void>();
  #admin: Promise<unknown> = Promise.resolve();

  private constructor(
    fs: LogFs,
    dir: string,
    options: ResolvedLogOptions,
    logger: LogLogger,
    recovered: RecoveredLog,
  ) {
    this.#fs = fs;
    this.dir = dir;
    this.#logger = logger;
    this.#options = options;
    const ctx = { fs, dir, indexIntervalBytes: options.indexIntervalBytes, logger };
    this.#indexes = new IndexCache(ctx, options.maxLoadedIndexes, (c) => this.#markCorrupt(c));
    this.#segments = recovered.segments;
    this.#logStartOffset = recovered.logStartOffset;
    this.#nextOffset = this.#highWatermark = this.#active.endOffset;
    for (const seg of this.#segments) seg.visibleMaxTimestamp = seg.maxTimestamp;
    if (recovered.corruption) this.#markCorrupt(recovered.corruption);
    this.#pipeline = new AppendPipeline(this.#pipelineHost(), options.durability, this.#active);
  }

  /** Opens (creating if needed) the log in `dir`, recovering it: see recovery.ts and docs/storage.md. */
  static async open(
    fs: LogFs,
    dir: string,
    options: PartitionLogOptions = {},
    logger: LogLogger = silentLogger(),
  ): Promise<PartitionLog> {
    const resolved = resolveLogOptions(options);
    try {
      const ctx = {
        fs,
        dir,
        indexIntervalBytes: resolved.indexIntervalBytes,
        logger,
        nowMs: resolved.clock(),
      };
      return new PartitionLog(fs, dir, resolved, logger, await recoverLog(ctx));
    } catch (err) {
      if (err instanceof Error && 'kafkaError' in err) throw err;
      const message = `partition log ${dir}: recovery failed: ${(err as Error).message}`;
      throw new StorageError(message, { cause: err });
    }
  }

  get logStartOffset(): bigint {
    return this.#logStartOffset;
  }

  /** The next offset append() will assign (includes appends still being written). */
  get logEndOffset(): bigint {
    return this.#nextOffset;
  }

  /** The end of what readers may see: fsynced data in fsync mode, written data otherwise. */
  get highWatermark(): bigint {
    return this.#highWatermark;
  }

  /** Bytes of all segment files, including appends being written. */
  get sizeBytes(): number {
    return this.#segments.reduce((n, s) => n + s.reservedSize, 0);
  }

  get segmentCount(): number {
    return this.#segments.length;
  }

  /** The first corruption found (reads at or past its offset fail), if any. */
  get corruption(): Corruption | undefined {
    return this.#corruption;
  }

  /** Set once a write or fsync failed: the log takes no more appends until reopened. */
  get failure(): StorageError | undefined {
    return this.#pipeline.failure;
  }

  /** fsyncs of segment data the append pipeline made (group commit shows as far fewer than appends). */
  get syncCount(): number {
    return this.#pipeline.syncs;
  }

  /** Background fsyncs of segments closed by a roll (none/interval mode) that failed; each fails the log. */
  get closedSegmentSyncFailures(): number {
    return this.#pipeline.closedSegmentSyncFailures;
  }

  /**
   * Calls `listener` with the new high watermark each time it advances, and once more when the log is
   * closed or deleted (so a reader parked on it looks again and finds it gone); returns an unsubscribe.
   */
  onHighWatermark(listener: (highWatermark: bigint) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get #active(): Segment {
    return this.#segments[this.#segments.length - 1];
  }

  /**
   * Appends one v2 record batch (already validated by the caller; only its header is read). The buffer is
   * patched in place (base offset, leader epoch) and kept until written: the caller must not reuse it.
   * Offsets are assigned now, in call order; the promise resolves when the durability policy is met.
   */
  append(batch: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new LogClosedError(this.dir));
    if (this.#pipeline.failure) return Promise.reject(this.#pipeline.failure);
    const lastOffsetDelta = appendableDelta(batch);
    if (typeof lastOffsetDelta !== 'number') return Promise.reject(lastOffsetDelta);
    const now = this.#options.clock();
    const logAppendTime = options.logAppendTime ? BigInt(now) : -1n;
    if (options.logAppendTime) stampLogAppendTime(batch, logAppendTime);
    const baseOffset = this.#nextOffset;
    const lastOffset = baseOffset + BigInt(lastOffsetDelta);
    setBaseOffset(batch, 0, baseOffset);
    setPartitionLeaderEpoch(batch, 0, options.leaderEpoch ?? this.#options.leaderEpoch);
    const maxTimestamp = batch.readBigInt64BE(MAX_TIMESTAMP_OFFSET);
    let segment = this.#active;
    if (this.#shouldRoll(segment, batch.length, lastOffset, now)) {
      // Decided now, so offsets and positions are known at once; the pipeline does the file work in order.
      segment = new Segment(this.dir, baseOffset, now);
      segment.activate(new IndexBuilder(this.#options.indexIntervalBytes));
      this.#segments.push(segment);
    }
    const position = segment.reservedSize;
    if (position === 0) segment.firstAppendAtMs = now;
    segment.reservedSize += batch.length;
    segment.endOffset = lastOffset + 1n;
    segment.lastModifiedMs = now;
    segment.indexBatch(baseOffset, position, batch.length, maxTimestamp);
    this.#nextOffset = lastOffset + 1n;
    return new Promise((resolve, reject) => {
      const data = batch;
      this.#pipeline.enqueue({
        segment,
        position,
        data,
        baseOffset,
        lastOffset,
        maxTimestamp,
        logAppendTime,
        resolve,
        reject,
      });
    });
  }

  #shouldRoll(seg: Segment, size: number, lastOffset: bigint, now: number): boolean {
    if (seg.reservedSize === 0) return false;
    return (
      seg.reservedSize + size > this.#options.segmentBytes ||
      now - seg.firstAppendAtMs >= this.#options.segmentMs ||
      lastOffset - seg.baseOffset > MAX_RELATIVE_OFFSET
    );
  }

  #pipelineHost(): PipelineHost {
    return {
      dir: this.dir,
      sealSegment: (from) => from.seal(),
      createSegmentFile: async (from, to) => {
        to.file = await this.#fs.open(to.path(LOG_SUFFIX), 'create');
        this.#logger.debug(
          { dir: this.dir, closed: from.baseOffset, opened: to.baseOffset },
          'rolled segment',
        );
      },
      syncClosedSegment: async (seg) => {
        // Holding the segment keeps its file descriptor open should the log be closed meanwhile; retention
        // and DeleteRecords wait for `seg.closing` before deleting it.
        seg.acquire();
        try {
          await seg.file!.sync();
          await seg.writeIndexFiles(this.#fs, false);
        } finally {
          await seg.release();
        }
        seg.indexFilesWritten = true;
        this.#indexes.touch(seg);
      },
      syncDir: () => this.#fs.syncDir(this.dir),
      makeVisible: (appends) => this.#makeVisible(appends),
      failed: (err) =>
        this.#logger.error({ dir: this.dir, err }, 'partition log failed: no appends until it is reopened'),
    };
  }

  #makeVisible(appends: readonly PendingAppend[]): void {
    for (const a of appends) {
      a.segment.visibleSize = a.position + a.data.length;
      if (a.maxTimestamp > a.segment.visibleMaxTimestamp) {
        a.segment.visibleMaxTimestamp = a.maxTimestamp;
        a.segment.visibleMaxTimestampOffset = a.baseOffset;
      }
    }
    this.#highWatermark = appends[appends.length - 1].lastOffset + 1n;
    this.#notify();
  }

  #notify(): void {
    for (const listener of this.#listeners) {
      try {
        listener(this.#highWatermark);
      } catch (err) {
        this.#logger.error({ dir: this.dir, err }, 'high watermark listener threw');
      }
    }
  }

  /**
   * Whole batches starting with the one that contains `fetchOffset`, up to `maxBytes` (but at least one
   * batch), below the high watermark and below `maxOffset` (exclusive) when given. Reads one segment at a
   * time. Throws OffsetOutOfRangeError outside [logStartOffset, highWatermark] and CorruptLogError at or
   * past a known corruption. `allocate` gives the buffer the batches are read into (default: a new one), for
   * a caller that reuses buffers once it is done with the records.
   */
  async read(
    fetchOffset: bigint,
    maxBytes: number,
    options: { maxOffset?: bigint; allocate?: (n: number) => Buffer } = {},
  ): Promise<ReadResult> {
    if (this.#closed) throw new LogClosedError(this.dir);
    const hwm = this.#highWatermark;
    const logStartOffset = this.#logStartOffset;
    if (fetchOffset < logStartOffset || fetchOffset > hwm) {
      throw new OffsetOutOfRangeError(fetchOffset, logStartOffset, hwm);
    }
    this.#throwIfCorruptAt(fetchOffset);
    let limit = options.maxOffset !== undefined && options.maxOffset < hwm ? options.maxOffset : hwm;
    if (this.#corruption && this.#corruption.offset < limit) limit = this.#corruption.offset;
    const segments = this.#segments; // deletions replace the array: iterate a stable one
    for (let i = segmentIndexFor(segments, fetchOffset); i < segments.length && fetchOffset < limit; i++) {
      const seg = segments[i];
      if (!seg.file || seg.visibleSize === 0) break;
      seg.acquire();
      try {
        const { offsetIndex } = await this.#indexes.get(seg);
        this.#throwIfCorruptAt(fetchOffset); // loading the indexes may have found corruption
        const found = await locateBatch(seg, offsetIndex, fetchOffset, seg.visibleSize);
        if (found === undefined) continue;
        if ('reason' in found) throw this.#corruptError(seg, found);
        const verify = this.#options.verifyClosedSegmentReads && seg.closed;
        const got = await readBatches(seg, found, maxBytes, limit, seg.visibleSize, verify, options.allocate);
        if (got.problem) {
          const err = this.#corruptError(seg, got.problem);
          if (got.records.length === 0) throw err;
        }
        return { records: got.records, highWatermark: hwm, logStartOffset, nextOffset: got.nextOffset };
      } finally {
        await seg.release();
      }
    }
    return { records: EMPTY, highWatermark: hwm, logStartOffset, nextOffset: fetchOffset };
  }

  #markCorrupt(corruption: Corruption): Corruption {
    if (!this.#corruption || corruption.offset < this.#corruption.offset) {
      this.#corruption = corruption;
      this.#logger.error(
        { dir: this.dir, ...corruption },
        'corrupt partition log: reads at or past this offset fail',
      );
    }
    return this.#corruption;
  }

  #corruptError(seg: Segment, problem: ReadProblem): CorruptLogError {
    return new CorruptLogError(
      this.dir,
      this.#markCorrupt({ ...problem, segmentBaseOffset: seg.baseOffset }),
    );
  }

  #throwIfCorruptAt(offset: bigint): void {
    if (this.#corruption && offset >= this.#corruption.offset)
      throw new CorruptLogError(this.dir, this.#corruption);
  }

  #lookupContext(): LookupContext {
    if (this.#closed) throw new LogClosedError(this.dir);
    return {
      segments: this.#segments,
      logStartOffset: this.#logStartOffset,
      indexes: (seg) => this.#indexes.get(seg),
      corrupt: (seg, problem) => this.#corruptError(seg, problem),
    };
  }

  /**
   * The first batch (at or after the log start offset, below the high watermark) whose max timestamp is
   * >= `timestamp`: its base offset (or the log start offset when that lies inside it) and max timestamp.
   * Batch granularity: records of that batch before `timestamp` are not skipped. undefined if none.
   */
  async offsetForTimestamp(timestamp: bigint): Promise<TimestampOffset | undefined> {
    return offsetForTimestamp(this.#lookupContext(), timestamp);
  }

  /** The first batch with the largest max timestamp in the readable log (batch granularity). */
  async offsetOfMaxTimestamp(): Promise<TimestampOffset | undefined> {
    return offsetOfMaxTimestamp(this.#lookupContext());
  }

  /**
   * Advances the log start offset to `offset` (DeleteRecords): persisted, then segments wholly below it
   * are deleted. Returns the new log start offset. `offset` past the high watermark is out of range.
   */
  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    return this.#serially(async () => {
      if (offset > this.#highWatermark || offset < 0n) {
        throw new OffsetOutOfRangeError(offset, this.#logStartOffset, this.#highWatermark);
      }
      const doomed = this.#segments.filter((s) => s.closed && s.endOffset <= offset);
      await this.#deleteSegments(doomed, offset);
      return this.#logStartOffset;
    });
  }

  /** Deletes the oldest closed segments by age and by total size (see retention.ts); -1 = unlimited. */
  applyRetention(nowMs: number, policy: RetentionPolicy): Promise<RetentionResult> {
    return this.#serially(async () => {
      const doomed = selectRetention(this.#segments, this.#highWatermark, nowMs, policy);
      if (doomed.length === 0) return { deleted: [], logStartOffset: this.#logStartOffset };
      const deleted = doomed.map(({ segment, reason }) => ({
        baseOffset: segment.baseOffset,
        endOffset: segment.endOffset,
        sizeBytes: segment.writtenSize,
        reason,
      }));
      const segments = doomed.map((d) => d.segment);
      await this.#deleteSegments(segments, deleted[deleted.length - 1].endOffset);
      this.#logger.info(
        { dir: this.dir, deleted, logStartOffset: this.#logStartOffset },
        'retention deleted segments',
      );
      return { deleted, logStartOffset: this.#logStartOffset };
    });
  }

  /** Checkpoints a higher log start offset first (so a crash never resurrects data), then deletes. */
  async #deleteSegments(doomed: Segment[], newStart: bigint): Promise<void> {
    try {
      if (newStart > this.#logStartOffset) {
        await writeLogStartOffset(this.#fs, this.dir, newStart);
        this.#logStartOffset = newStart;
      }
      if (doomed.length === 0) return;
      // A segment closed by a recent roll may still be syncing in the background (none/interval mode).
      for (const seg of doomed) await seg.closing;
      this.#segments = this.#segments.filter((s) => !doomed.includes(s));
      this.#indexes.forget(doomed);
      for (const seg of doomed) await seg.delete(this.#fs);
      await this.#fs.syncDir(this.dir);
    } catch (err) {
      const message = `partition log ${this.dir}: deleting segments failed: ${(err as Error).message}`;
      throw new StorageError(message, { cause: err });
    }
  }

  /** Admin operations (retention, DeleteRecords) run one at a time, and never after close. */
  #serially<T>(task: () => Promise<T>): Promise<T> {
    const guarded = () => (this.#closed ? Promise.reject(new LogClosedError(this.dir)) : task());
    const run = this.#admin.then(guarded, guarded);
    this.#admin = run.catch(() => undefined);
    return run;
  }

  /** Reads every closed segment whole, validating each batch; marks and returns the first corruption. */
  async verify(): Promise<Corruption | undefined> {
    for (const seg of this.#segments.filter((s) => s.closed)) {
      if (!seg.file) continue;
      seg.acquire();
      try {
        const scan = await scanSegment(
          seg.file,
          seg.baseOffset,
          seg.writtenSize,
          this.#options.indexIntervalBytes,
        );
        if (scan.problem)
          this.#markCorrupt({ offset: scan.endOffset, segmentBaseOffset: seg.baseOffset, ...scan.problem });
      } finally {
        await seg.release();
      }
    }
    return this.#corruption;
  }

  /**
   * The headers of the active segment's readable batches, oldest first, and that segment's base offset:
   * what a restarted broker rebuilds idempotent-producer state from (batch-headers.ts).
   */
  activeSegmentBatchHeaders(): { segmentBaseOffset: bigint; headers: AsyncGenerator<StoredBatchHeader> } {
    if (this.#closed) throw new LogClosedError(this.dir);
    const seg = this.#active;
    const end = seg.visibleSize;
    async function* walk(): AsyncGenerator<StoredBatchHeader> {
      seg.acquire();
      try {
        yield* segmentBatchHeaders(seg, end);
      } finally {
        await seg.release();
      }
    }
    return { segmentBaseOffset: seg.baseOffset, headers: walk() };
  }

  /** Resolves when every append made before the call is written and fsynced. */
  async flush(): Promise<void> {
    if (this.#closed) throw new LogClosedError(this.dir);
    await this.#pipeline.flush();
  }

  /** Finishes and syncs the appends in flight (unless the log failed), then closes every file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#pipeline.failure) await this.#pipeline.flush().catch(() => undefined);
    this.#pipeline.stop();
    await this.#pipeline.closedSegmentsSynced(); // after a failure too: a sync in flight uses the files
    await this.#admin;
    this.#notify();
    this.#listeners.clear();
    // Reads still running keep their segment's file open until they finish.
    for (const seg of this.#segments) await seg.closeWhenIdle().catch(() => undefined);
  }

  /** Closes the log and removes its directory with everything in it. */
  async delete(): Promise<void> {
    await this.close();
    for (const name of await this.#fs.readdir(this.dir)) await this.#fs.unlink(join(this.dir, name));
    await this.#fs.rmdir(this.dir);
    await this.#fs.syncDir(join(this.dir, '..'));
  }
}

/** Binary search: the last segment whose base offset is <= offset (0 if none). */
function segmentIndexFor(segments: readonly Segment[], offset: bigint): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid].baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
