// One segment of a partition log: `<base>.log` (raw record batches back to back) with its `<base>.index`
// and `<base>.timeindex`. The active (last) segment keeps its indexes in memory and writes them when it
// is closed; closed segments load theirs on first use and may drop them again to bound memory.
import { join } from 'node:path';
import type { IndexBuilder } from './batch-walk.ts';
import type { LogFile, LogFs } from './fs.ts';
import { OffsetIndex } from './offset-index.ts';
import { TIME_INDEX_ENTRY_BYTES, TimeIndex } from './time-index.ts';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export type SegmentFileSuffix = typeof LOG_SUFFIX | typeof INDEX_SUFFIX | typeof TIME_INDEX_SUFFIX;

const NAME = /^(\d{20})(\.log|\.index|\.timeindex)$/;

/** `<20-digit zero-padded base offset><suffix>`, so names sort like offsets. */
export function segmentFileName(baseOffset: bigint, suffix: SegmentFileSuffix): string {
  return baseOffset.toString().padStart(20, '0') + suffix;
}

export function parseSegmentFileName(
  name: string,
): { baseOffset: bigint; suffix: SegmentFileSuffix } | undefined {
  const m = NAME.exec(name);
  return m ? { baseOffset: BigInt(m[1]), suffix: m[2] as SegmentFileSuffix } : undefined;
}

export class Segment {
  readonly baseOffset: bigint;
  readonly dir: string;
  /** Undefined only between a roll deciding on this segment and the writer creating its file. */
  file: LogFile | undefined;
  /** Bytes handed to appends, including writes in flight: decides positions and rolls. */
  reservedSize = 0;
  /** Bytes whose write has completed. */
  writtenSize = 0;
  /** Bytes below the high watermark: reads never look past them. */
  visibleSize = 0;
  /** The offset after the last batch given to this segment. */
  endOffset: bigint;
  /** Largest batch max timestamp in the segment; -1 when none has one. */
  maxTimestamp = -1n;
  /** Largest max timestamp among the segment's batches below the high watermark, and the first batch
   *  that has it (-1 when not known yet: found by a lookup on first use). */
  visibleMaxTimestamp = -1n;
  visibleMaxTimestampOffset = -1n;
  /** When the segment got its first batch (or was found on open): the clock for segmentMs rolls. */
  firstAppendAtMs = -1;
  /** Retention's fallback age for segments whose batches carry no timestamps. */
  lastModifiedMs: number;
  closed = false;
  deleted = false;
  /** False from a roll closing this segment until its index files are on disk: its indexes stay in memory. */
  indexFilesWritten = true;
  /** The background sync of a segment closed by a roll in `none`/`interval` mode (never rejects). */
  closing: Promise<void> | undefined;
  /** Reads using the file; a deleted segment closes its file when the last one ends. */
  #refs = 0;
  /** The active segment's index builder; undefined for closed segments. */
  builder: IndexBuilder | undefined;
  offsetIndex: OffsetIndex | undefined;
  timeIndex: TimeIndex | undefined;

  constructor(dir: string, baseOffset: bigint, nowMs: number) {
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.endOffset = baseOffset;
    this.lastModifiedMs = nowMs;
  }

  path(suffix: SegmentFileSuffix): string {
    return join(this.dir, segmentFileName(this.baseOffset, suffix));
  }

  relative(offset: bigint): number {
    return Number(offset - this.baseOffset);
  }

  /** Makes this the active segment with the given (possibly rebuilt) indexes. */
  activate(builder: IndexBuilder): void {
    this.builder = builder;
    this.offsetIndex = builder.offsetIndex;
    this.timeIndex = builder.timeIndex;
  }

  /** Records a batch placed at `position` in the in-memory indexes (active segment only). */
  indexBatch(baseOffset: bigint, position: number, size: number, maxTimestamp: bigint): void {
    this.builder!.add(this.relative(baseOffset), position, size, maxTimestamp);
    if (maxTimestamp > this.maxTimestamp) this.maxTimestamp = maxTimestamp;
  }

  get indexesLoaded(): boolean {
    return this.offsetIndex !== undefined && this.timeIndex !== undefined;
  }

  /** Closes the active segment in memory (a roll): the time index gets its closing entry, the index files
   *  are still to be written. */
  seal(): void {
    this.timeIndex!.appendFinal(this.maxTimestamp, this.relative(this.endOffset));
    this.builder = undefined;
    this.closed = true;
    this.indexFilesWritten = false;
  }

  /** Drops a closed segment's indexes from memory; they load again on next use. */
  unloadIndexes(): void {
    if (this.closed && this.indexFilesWritten) {
      this.offsetIndex = undefined;
      this.timeIndex = undefined;
    }
  }

  /** Writes both index files whole and syncs them: the offset index first, the time index (whose closing
   *  entry marks a complete pair) second. With `close`, adds the time index's closing entry first. */
  async writeIndexFiles(fs: LogFs, close: boolean): Promise<void> {
    if (close) this.timeIndex!.appendFinal(this.maxTimestamp, this.relative(this.endOffset));
    await writeWhole(fs, this.path(INDEX_SUFFIX), this.offsetIndex!.toBytes());
    await writeWhole(fs, this.path(TIME_INDEX_SUFFIX), this.timeIndex!.toBytes());
  }

  /**
   * Cheap check of a closed segment's index files at open: sizes are whole entries and the time index ends
   * with the closing entry for this segment's end. Returns the segment's max timestamp, or why not.
   */
  async checkIndexFiles(fs: LogFs): Promise<{ maxTimestamp: bigint } | { problem: string }> {
    const idx = await fs.stat(this.path(INDEX_SUFFIX));
    const tix = await fs.stat(this.path(TIME_INDEX_SUFFIX));
    if (!idx || !tix) return { problem: 'index file missing' };
    if (idx.size % 8 !== 0 || tix.size % TIME_INDEX_ENTRY_BYTES !== 0 || tix.size === 0) {
      return { problem: `index sizes ${idx.size}/${tix.size} are not whole entries` };
    }
    const last = Buffer.alloc(TIME_INDEX_ENTRY_BYTES);
    const file = await fs.open(this.path(TIME_INDEX_SUFFIX), 'read');
    try {
      await file.read(last, tix.size - TIME_INDEX_ENTRY_BYTES);
    } finally {
      await file.close();
    }
    if (last.readInt32BE(8) !== this.relative(this.endOffset))
      return { problem: 'time index closing entry missing' };
    return { maxTimestamp: last.readBigInt64BE(0) };
  }

  /** Loads a closed segment's index files, or returns why they cannot be trusted. */
  async loadIndexes(fs: LogFs): Promise<string | undefined> {
    const [idx, tix] = [
      await readWhole(fs, this.path(INDEX_SUFFIX)),
      await readWhole(fs, this.path(TIME_INDEX_SUFFIX)),
    ];
    if (!idx || !tix) return 'index file missing';
    const offsetIndex = OffsetIndex.fromBytes(idx, this.writtenSize);
    if (typeof offsetIndex === 'string') return `offset index: ${offsetIndex}`;
    const timeIndex = TimeIndex.fromBytes(tix, this.relative(this.endOffset));
    if (typeof timeIndex === 'string') return `time index: ${timeIndex}`;
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    return undefined;
  }

  #closing = false;

  acquire(): void {
    this.#refs += 1;
  }

  async release(): Promise<void> {
    this.#refs -= 1;
    if ((this.deleted || this.#closing) && this.#refs === 0) await this.closeFile();
  }

  /** Closes the file now, or when the last read using it ends. */
  async closeWhenIdle(): Promise<void> {
    this.#closing = true;
    if (this.#refs === 0) await this.closeFile();
  }

  async closeFile(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close();
  }

  /** Unlinks the segment's files; the file descriptor closes once no read uses it. */
  async delete(fs: LogFs): Promise<void> {
    this.deleted = true;
    for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX] as const) {
      await unlinkIfExists(fs, this.path(suffix));
    }
    if (this.#refs === 0) await this.closeFile();
  }
}

export async function unlinkIfExists(fs: LogFs, path: string): Promise<void> {
  try {
    await fs.unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

async function writeWhole(fs: LogFs, path: string, data: Uint8Array): Promise<void> {
  const file = await fs.open(path, 'create');
  try {
    await file.truncate(0);
    await file.write([data], 0);
    await file.sync();
  } finally {
    await file.close();
  }
}

async function readWhole(fs: LogFs, path: string): Promise<Buffer | undefined> {
  const st = await fs.stat(path);
  if (!st) return undefined;
  const file = await fs.open(path, 'read');
  try {
    const buf = Buffer.allocUnsafe(st.size);
    return buf.subarray(0, await file.read(buf, 0));
  } finally {
    await file.close();
  }
}
