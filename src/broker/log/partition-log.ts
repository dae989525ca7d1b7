// The durable log of one topic-partition: segments of raw record batches with sparse offset and time
// indexes, appends with a durability policy (group-commit fsync, interval, none), whole-batch reads up to
// the high watermark, timestamp lookups, retention and DeleteRecords. It knows nothing of the Kafka
// protocol handlers or the broker: the SDK producer's disk buffer uses it as it is. docs/storage.md
// describes the files; recovery.ts the rules for opening them.
import { join } from 'node:path';
import { crc32c } from '../../protocol/crc32c.ts';
import {
  ATTRIBUTES_OFFSET,
  ATTR_LOG_APPEND_TIME,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_OVERHEAD,
  batchSizeAt,
  setBaseOffset,
  setPartitionLeaderEpoch,
} from '../../protocol/record-batch.ts';
import { AppendPipeline } from './append-pipeline.ts';
import type { AppendResult, Durability, PendingAppend, PipelineHost } from './append-pipeline.ts';
import { IndexBuilder } from './batch-walk.ts';
import { writeLogStartOffset } from './checkpoint.ts';
import {
  CorruptLogError,
  InvalidBatchError,
  LogClosedError,
  OffsetOutOfRangeError,
  StorageError,
} from './errors.ts';
import type { Corruption } from './errors.ts';
import type { LogFs } from './fs.ts';
import { silentLogger } from './logger.ts';
import type { LogLogger } from './logger.ts';
import { rebuildClosedSegment, recoverLog } from './recovery.ts';
import { selectRetention } from './retention.ts';
import type { RetentionPolicy } from './retention.ts';
import { LOG_SUFFIX, Segment } from './segment.ts';
import { findByTimestamp, locateBatch, readBatches } from './segment-read.ts';
import type { ReadProblem, SegmentIndexes } from './segment-read.ts';
import { scanSegment } from './batch-walk.ts';

export interface PartitionLogOptions {
  /** Roll to a new segment before one would exceed this many bytes (default 1 GiB, at most 2^31-1). */
  segmentBytes?: number;
  /** Roll to a new segment once the active one got its first batch this long ago (default 7 days). */
  segmentMs?: number;
  /** Bytes of batches between two offset-index entries (default 4096). */
  indexIntervalBytes?: number;
  /** When appends are acknowledged and become readable (default fsync). */
  durability?: Durability;
  /** Partition leader epoch stamped on appended batches unless append() is given one (default 0). */
  leaderEpoch?: number;
  /** Check the CRC-32C of batches read from closed segments before returning them (default true). */
  verifyClosedSegmentReads?: boolean;
  /** Closed segments whose indexes stay in memory, least recently used dropped first (default 64). */
  maxLoadedIndexes?: number;
  /** Milliseconds since the epoch: segment age and LogAppendTime (default Date.now). */
  clock?: () => number;
}

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

export interface TimestampOffset {
  offset: bigint;
  timestamp: bigint;
}

export interface RetentionResult {
  deleted: { baseOffset: bigint; endOffset: bigint; sizeBytes: number; reason: 'time' | 'size' }[];
  logStartOffset: bigint;
}

export type { AppendResult, Durability };

const GiB = 1024 * 1024 * 1024;
const MAX_SEGMENT_BYTES = 2 ** 31 - 1;
const MAX_RELATIVE_OFFSET = 2n ** 31n - 1n;
const EMPTY = Buffer.alloc(0);

export class PartitionLog {
  readonly dir: string;
  readonly #fs: LogFs;
  readonly #logger: LogLogger;
  readonly #segmentBytes: number;
  readonly #segmentMs: number;
  readonly #indexIntervalBytes: number;
  readonly #leaderEpoch: number;
  readonly #verifyReads: boolean;
  readonly #maxLoadedIndexes: number;
  readonly #clock: () => number;
  #segments: Segment[];
  #logStartOffset: bigint;
  #nextOffset: bigint;
  #highWatermark: bigint;
  #corruption: Corruption | undefined;
  #pipeline!: AppendPipeline;
  #closed = false;
  #listeners = new Set<(highWatermark: bigint) => void>();
  #admin: Promise<unknown> = Promise.resolve();
  #loaded: Segment[] = [];
  #loading = new Map<Segment, Promise<SegmentIndexes>>();

  private constructor(
    fs: LogFs,
    dir: string,
    options: PartitionLogOptions,
    logger: LogLogger,
    recovered: Awaited<ReturnType<typeof recoverLog>>,
  ) {
    this.#fs = fs;
    this.dir = dir;
    this.#logger = logger;
    this.#segmentBytes = options.segmentBytes ?? GiB;
    this.#segmentMs = options.segmentMs ?? 7 * 24 * 3600 * 1000;
    this.#indexIntervalBytes = options.indexIntervalBytes ?? 4096;
    this.#leaderEpoch = options.leaderEpoch ?? 0;
    this.#verifyReads = options.verifyClosedSegmentReads ?? true;
    this.#maxLoadedIndexes = options.maxLoadedIndexes ?? 64;
    this.#clock = options.clock ?? Date.now;
    this.#segments = recovered.segments;
    this.#logStartOffset = recovered.logStartOffset;
    this.#nextOffset = this.#highWatermark = this.#active.endOffset;
    for (const seg of this.#segments) seg.visibleMaxTimestamp = seg.maxTimestamp;
    if (recovered.corruption) this.#markCorrupt(recovered.corruption);
  }

  /** Opens (creating if needed) the log in `dir`, recovering it: see recovery.ts and docs/storage.md. */
  static async open(
    fs: LogFs,
    dir: string,
    options: PartitionLogOptions = {},
    logger: LogLogger = silentLogger(),
  ): Promise<PartitionLog> {
    const segmentBytes = options.segmentBytes ?? GiB;
    if (!(segmentBytes >= RECORD_BATCH_OVERHEAD && segmentBytes <= MAX_SEGMENT_BYTES)) {
      throw new RangeError(
        `segmentBytes ${segmentBytes} is not in [${RECORD_BATCH_OVERHEAD}, ${MAX_SEGMENT_BYTES}]`,
      );
    }
    if (!((options.indexIntervalBytes ?? 4096) >= 1)) throw new RangeError('indexIntervalBytes must be >= 1');
    const durability = options.durability ?? { mode: 'fsync' };
    if (durability.mode === 'interval' && !(durability.intervalMs > 0))
      throw new RangeError('intervalMs must be > 0');
    let recovered;
    try {
      recovered = await recoverLog({
        fs,
        dir,
        indexIntervalBytes: options.indexIntervalBytes ?? 4096,
        logger,
        nowMs: (options.clock ?? Date.now)(),
      });
    } catch (err) {
      if (err instanceof Error && 'kafkaError' in err) throw err;
      throw new StorageError(`partition log ${dir}: recovery failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const log = new PartitionLog(fs, dir, options, logger, recovered);
    log.#pipeline = new AppendPipeline(log.#pipelineHost(), durability, log.#active);
    return log;
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
    if (
      batch.length < RECORD_BATCH_OVERHEAD ||
      batchSizeAt(batch, 0) !== batch.length ||
      batch[MAGIC_OFFSET] !== MAGIC_V2
    ) {
      return Promise.reject(
        new InvalidBatchError(`append takes exactly one v2 record batch (${batch.length} bytes given)`),
      );
    }
    const lastOffsetDelta = batch.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
    if (lastOffsetDelta < 0)
      return Promise.reject(new InvalidBatchError(`lastOffsetDelta ${lastOffsetDelta} < 0`));
    const now = this.#clock();
    let logAppendTime = -1n;
    if (options.logAppendTime) {
      logAppendTime = BigInt(now);
      stampLogAppendTime(batch, logAppendTime);
    }
    const baseOffset = this.#nextOffset;
    const lastOffset = baseOffset + BigInt(lastOffsetDelta);
    setBaseOffset(batch, 0, baseOffset);
    setPartitionLeaderEpoch(batch, 0, options.leaderEpoch ?? this.#leaderEpoch);
    const maxTimestamp = batch.readBigInt64BE(MAX_TIMESTAMP_OFFSET);
    let segment = this.#active;
    if (this.#shouldRoll(segment, batch.length, lastOffset, now)) segment = this.#startRoll(baseOffset, now);
    const position = segment.reservedSize;
    if (position === 0) segment.firstAppendAtMs = now;
    segment.reservedSize += batch.length;
    segment.endOffset = lastOffset + 1n;
    segment.lastModifiedMs = now;
    segment.indexBatch(baseOffset, position, batch.length, maxTimestamp);
    this.#nextOffset = lastOffset + 1n;
    return new Promise((resolve, reject) => {
      this.#pipeline.enqueue({
        segment,
        position,
        data: batch,
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
      seg.reservedSize + size > this.#segmentBytes ||
      now - seg.firstAppendAtMs >= this.#segmentMs ||
      lastOffset - seg.baseOffset > MAX_RELATIVE_OFFSET
    );
  }

  /** Decides on the new segment now (so offsets and positions are known); the pipeline does the file work. */
  #startRoll(baseOffset: bigint, now: number): Segment {
    const seg = new Segment(this.dir, baseOffset, now);
    seg.activate(new IndexBuilder(this.#indexIntervalBytes));
    this.#segments.push(seg);
    return seg;
  }

  #pipelineHost(): PipelineHost {
    return {
      dir: this.dir,
      rollSegment: async (from, to) => {
        await from.file!.sync();
        await from.writeIndexFiles(this.#fs, true);
        from.builder = undefined;
        from.closed = true;
        this.#touchLoaded(from);
        to.file = await this.#fs.open(to.path(LOG_SUFFIX), 'create');
        await this.#fs.syncDir(this.dir);
        this.#logger.debug(
          { dir: this.dir, closed: from.baseOffset, opened: to.baseOffset },
          'rolled segment',
        );
      },
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
   * past a known corruption.
   */
  async read(
    fetchOffset: bigint,
    maxBytes: number,
    options: { maxOffset?: bigint } = {},
  ): Promise<ReadResult> {
    if (this.#closed) throw new LogClosedError(this.dir);
    const hwm = this.#highWatermark;
    const result = (records: Buffer, nextOffset: bigint): ReadResult => ({
      records,
      highWatermark: hwm,
      logStartOffset: this.#logStartOffset,
      nextOffset,
    });
    if (fetchOffset < this.#logStartOffset || fetchOffset > hwm) {
      throw new OffsetOutOfRangeError(fetchOffset, this.#logStartOffset, hwm);
    }
    this.#throwIfCorruptAt(fetchOffset);
    let limit = options.maxOffset !== undefined && options.maxOffset < hwm ? options.maxOffset : hwm;
    if (this.#corruption && this.#corruption.offset < limit) limit = this.#corruption.offset;
    for (let i = this.#segmentIndexFor(fetchOffset); i < this.#segments.length && fetchOffset < limit; i++) {
      const seg = this.#segments[i];
      if (!seg.file || seg.visibleSize === 0) break;
      seg.acquire();
      try {
        const { offsetIndex } = await this.#indexes(seg);
        this.#throwIfCorruptAt(fetchOffset);
        const found = await locateBatch(seg, offsetIndex, fetchOffset, seg.visibleSize);
        if (found === undefined) continue;
        if ('reason' in found) throw this.#corruptError(seg, found);
        const verify = this.#verifyReads && seg.closed;
        const got = await readBatches(seg, found, maxBytes, limit, seg.visibleSize, verify);
        if (got.problem) {
          const err = this.#corruptError(seg, got.problem);
          if (got.records.length === 0) throw err;
        }
        return result(got.records, got.nextOffset);
      } finally {
        await seg.release();
      }
    }
    return result(EMPTY, fetchOffset);
  }

  /** Binary search: the last segment whose base offset is <= offset (0 if none). */
  #segmentIndexFor(offset: bigint): number {
    let lo = 0;
    let hi = this.#segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#segments[mid].baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** A segment's indexes, loading (or rebuilding) a closed segment's on first use. */
  async #indexes(seg: Segment): Promise<SegmentIndexes> {
    if (seg.offsetIndex && seg.timeIndex) {
      if (seg.closed) this.#touchLoaded(seg);
      return { offsetIndex: seg.offsetIndex, timeIndex: seg.timeIndex };
    }
    let loading = this.#loading.get(seg);
    if (!loading) {
      loading = (async () => {
        const problem = await seg.loadIndexes(this.#fs);
        if (problem) {
          const ctx = {
            fs: this.#fs,
            dir: this.dir,
            indexIntervalBytes: this.#indexIntervalBytes,
            logger: this.#logger,
          };
          const corruption = await rebuildClosedSegment(ctx, seg, problem);
          if (corruption) this.#markCorrupt(corruption);
        }
        const indexes = { offsetIndex: seg.offsetIndex!, timeIndex: seg.timeIndex! };
        this.#touchLoaded(seg);
        return indexes;
      })().finally(() => this.#loading.delete(seg));
      this.#loading.set(seg, loading);
    }
    return loading;
  }

  /** Keeps at most maxLoadedIndexes closed segments' indexes in memory, dropping the least recently used. */
  #touchLoaded(seg: Segment): void {
    const at = this.#loaded.indexOf(seg);
    if (at >= 0) this.#loaded.splice(at, 1);
    this.#loaded.push(seg);
    while (this.#loaded.length > this.#maxLoadedIndexes) this.#loaded.shift()!.unloadIndexes();
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
    this.#markCorrupt({ ...problem, segmentBaseOffset: seg.baseOffset });
    return new CorruptLogError(this.dir, this.#corruption!);
  }

  #throwIfCorruptAt(offset: bigint): void {
    if (this.#corruption && offset >= this.#corruption.offset)
      throw new CorruptLogError(this.dir, this.#corruption);
  }

  /**
   * The first batch (at or after the log start offset, below the high watermark) whose max timestamp is
   * >= `timestamp`: its base offset (or the log start offset when that lies inside it) and max timestamp.
   * Batch granularity: records of that batch before `timestamp` are not skipped. undefined if none.
   */
  async offsetForTimestamp(timestamp: bigint): Promise<TimestampOffset | undefined> {
    if (this.#closed) throw new LogClosedError(this.dir);
    for (const seg of [...this.#segments]) {
      if (seg.visibleMaxTimestamp < timestamp) continue;
      if (!seg.file || seg.visibleSize === 0) return undefined;
      seg.acquire();
      try {
        const indexes = await this.#indexes(seg);
        const ref = await findByTimestamp(seg, indexes, timestamp, this.#logStartOffset, seg.visibleSize);
        if (ref === undefined) continue;
        if ('reason' in ref) throw this.#corruptError(seg, ref);
        const offset = ref.baseOffset < this.#logStartOffset ? this.#logStartOffset : ref.baseOffset;
        return { offset, timestamp: ref.maxTimestamp };
      } finally {
        await seg.release();
      }
    }
    return undefined;
  }

  /** The first batch with the largest max timestamp in the readable log (batch granularity). */
  async offsetOfMaxTimestamp(): Promise<TimestampOffset | undefined> {
    let best: Segment | undefined;
    for (const seg of this.#segments) {
      if (
        seg.visibleSize > 0 &&
        seg.visibleMaxTimestamp >= 0n &&
        (!best || seg.visibleMaxTimestamp > best.visibleMaxTimestamp)
      )
        best = seg;
    }
    if (!best) return undefined;
    if (best.visibleMaxTimestampOffset < 0n) {
      const found = await this.offsetForTimestamp(best.visibleMaxTimestamp);
      if (!found) return undefined;
      best.visibleMaxTimestampOffset = found.offset;
    }
    const offset =
      best.visibleMaxTimestampOffset < this.#logStartOffset
        ? this.#logStartOffset
        : best.visibleMaxTimestampOffset;
    return { offset, timestamp: best.visibleMaxTimestamp };
  }

  /**
   * Advances the log start offset to `offset` (DeleteRecords): persisted, then segments wholly below it
   * are deleted. Returns the new log start offset. `offset` past the high watermark is out of range.
   */
  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    return this.#serially(async () => {
      if (this.#closed) throw new LogClosedError(this.dir);
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
      if (this.#closed) throw new LogClosedError(this.dir);
      const doomed = selectRetention(this.#segments, this.#highWatermark, nowMs, policy);
      if (doomed.length === 0) return { deleted: [], logStartOffset: this.#logStartOffset };
      const deleted = doomed.map(({ segment, reason }) => ({
        baseOffset: segment.baseOffset,
        endOffset: segment.endOffset,
        sizeBytes: segment.writtenSize,
        reason,
      }));
      await this.#deleteSegments(
        doomed.map((d) => d.segment),
        deleted[deleted.length - 1].endOffset,
      );
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
      this.#segments = this.#segments.filter((s) => !doomed.includes(s));
      this.#loaded = this.#loaded.filter((s) => !doomed.includes(s));
      for (const seg of doomed) await seg.delete(this.#fs);
      await this.#fs.syncDir(this.dir);
    } catch (err) {
      throw new StorageError(
        `partition log ${this.dir}: deleting segments failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#admin.then(task, task);
    this.#admin = run.catch(() => undefined);
    return run;
  }

  /** Reads every closed segment whole, validating each batch; marks and returns the first corruption. */
  async verify(): Promise<Corruption | undefined> {
    for (const seg of this.#segments.filter((s) => s.closed)) {
      if (!seg.file) continue;
      seg.acquire();
      try {
        const scan = await scanSegment(seg.file, seg.baseOffset, seg.writtenSize, this.#indexIntervalBytes);
        if (scan.problem) {
          this.#markCorrupt({ offset: scan.endOffset, segmentBaseOffset: seg.baseOffset, ...scan.problem });
        }
      } finally {
        await seg.release();
      }
    }
    return this.#corruption;
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
    await this.#admin;
    this.#notify();
    this.#listeners.clear();
    for (const seg of this.#segments) await seg.closeFile().catch(() => undefined);
  }

  /** Closes the log and removes its directory with everything in it. */
  async delete(): Promise<void> {
    await this.close();
    for (const name of await this.#fs.readdir(this.dir)) await this.#fs.unlink(join(this.dir, name));
    await this.#fs.rmdir(this.dir);
    await this.#fs.syncDir(join(this.dir, '..'));
  }
}

/** LogAppendTime: attribute bit 3 and the max timestamp are inside the CRC, so it is recomputed. */
function stampLogAppendTime(batch: Buffer, time: bigint): void {
  batch.writeInt16BE(batch.readInt16BE(ATTRIBUTES_OFFSET) | ATTR_LOG_APPEND_TIME, ATTRIBUTES_OFFSET);
  batch.writeBigInt64BE(time, MAX_TIMESTAMP_OFFSET);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
}
