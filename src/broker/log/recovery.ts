// Opening a partition log directory: what survives a crash and what is thrown away. The rules (also in
// docs/storage.md):
// - `*.tmp` files are half-written checkpoints: removed. Index files without their `.log`: removed.
// - Segments wholly below the log start offset checkpoint were being deleted: their deletion is finished.
// - Closed segments (all but the last) are complete on disk whenever the next segment's directory entry is
//   durable: a roll fsyncs the closed segment's data and then its index files before the directory is
//   fsynced (in none/interval mode in the background, append-pipeline.ts, and never while an earlier
//   closed segment is still unsynced). After an OS crash in the middle of that, the next segment's entry is
//   usually gone and the closed segment is the last one again, recovered like any active segment below. A
//   file system that persisted the entry on its own (without our directory fsync) can still leave a short
//   closed segment before it: that is the case below. Their index files get a cheap check (whole entries,
//   time index closing entry present). A failed check rebuilds them by a validating scan. A bad batch, or
//   an end short of the next segment's base, found by that scan marks the log corrupt at that offset; the
//   segment is not truncated (what follows it may be fine and was acknowledged).
// - The last (active) segment is always scanned batch by batch (length, magic, CRC-32C, offset sequence)
//   and truncated at the first torn or corrupt batch, with one log line saying what was dropped.
// - If the checkpointed log start offset is past the recovered end (data lost in a crash in a non-fsync
//   mode), the log restarts empty at the log start offset rather than reuse offsets.
import { dirname } from 'node:path';
import { scanSegment, IndexBuilder } from './batch-walk.ts';
import {
  LOG_FORMAT_FILE,
  LOG_START_OFFSET_FILE,
  TMP_SUFFIX,
  ensureLogFormat,
  readLogStartOffset,
} from './checkpoint.ts';
import type { Corruption } from './errors.ts';
import type { LogFs } from './fs.ts';
import type { LogLogger } from './logger.ts';
import { LOG_SUFFIX, Segment, parseSegmentFileName, unlinkIfExists } from './segment.ts';
import type { SegmentFileSuffix } from './segment.ts';

export interface RecoveryContext {
  fs: LogFs;
  dir: string;
  indexIntervalBytes: number;
  logger: LogLogger;
  nowMs: number;
}

export interface RecoveredLog {
  /** In offset order; the last is the active segment, open for writing, its indexes in memory. */
  segments: Segment[];
  logStartOffset: bigint;
  corruption: Corruption | undefined;
}

export async function recoverLog(ctx: RecoveryContext): Promise<RecoveredLog> {
  const { fs, dir, logger } = ctx;
  const existed = await fs.stat(dir);
  await fs.mkdir(dir);
  if (!existed) await fs.syncDir(dirname(dir));
  await ensureLogFormat(fs, dir);

  const found = new Map<bigint, Set<SegmentFileSuffix>>();
  let removed = false;
  for (const name of await fs.readdir(dir)) {
    if (name.endsWith(TMP_SUFFIX)) {
      logger.info({ dir, file: name }, 'removing stray temporary file');
      await unlinkIfExists(fs, `${dir}/${name}`);
      removed = true;
      continue;
    }
    if (name === LOG_START_OFFSET_FILE || name === LOG_FORMAT_FILE) continue;
    const parsed = parseSegmentFileName(name);
    if (!parsed) {
      logger.warn({ dir, file: name }, 'ignoring unknown file in partition log directory');
      continue;
    }
    const set = found.get(parsed.baseOffset) ?? new Set();
    set.add(parsed.suffix);
    found.set(parsed.baseOffset, set);
  }
  let bases = [...found.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const base of bases) {
    if (found.get(base)!.has(LOG_SUFFIX)) continue;
    logger.info({ dir, baseOffset: base }, 'removing index files without a segment');
    await new Segment(dir, base, ctx.nowMs).delete(fs);
    removed = true;
  }
  bases = bases.filter((b) => found.get(b)!.has(LOG_SUFFIX));

  const checkpoint = await readLogStartOffset(fs, dir);
  while (checkpoint !== undefined && bases.length > 1 && bases[1] <= checkpoint) {
    logger.info({ dir, baseOffset: bases[0] }, 'finishing deletion of a segment below the log start offset');
    await new Segment(dir, bases.shift()!, ctx.nowMs).delete(fs);
    removed = true;
  }
  if (removed) await fs.syncDir(dir);

  const segments: Segment[] = [];
  let corruption: Corruption | undefined;
  for (let i = 0; i < bases.length - 1; i++) {
    const seg = await openSegment(ctx, bases[i], 'read');
    seg.endOffset = bases[i + 1];
    seg.closed = true;
    const check = await seg.checkIndexFiles(fs);
    if ('problem' in check) corruption ??= await rebuildClosedSegment(ctx, seg, check.problem);
    else seg.maxTimestamp = check.maxTimestamp;
    segments.push(seg);
  }
  if (bases.length > 0) segments.push(await recoverActiveSegment(ctx, bases[bases.length - 1]));
  else segments.push(await createSegment(ctx, checkpoint ?? 0n));

  let logStartOffset = checkpoint ?? segments[0].baseOffset;
  if (logStartOffset < segments[0].baseOffset) logStartOffset = segments[0].baseOffset;
  const active = segments[segments.length - 1];
  if (logStartOffset > active.endOffset) {
    logger.warn(
      { dir, logStartOffset, logEndOffset: active.endOffset },
      'log start offset is past the recovered log end: restarting the log empty at the log start offset',
    );
    for (const seg of segments) await seg.delete(fs);
    await fs.syncDir(dir);
    segments.length = 0;
    segments.push(await createSegment(ctx, logStartOffset));
    corruption = undefined;
  }
  // What recovery found is what readers may see: make sure it is on disk before exposing it.
  await segments[segments.length - 1].file!.sync();
  return { segments, logStartOffset, corruption };
}

async function openSegment(ctx: RecoveryContext, base: bigint, mode: 'read' | 'readWrite'): Promise<Segment> {
  const seg = new Segment(ctx.dir, base, ctx.nowMs);
  seg.file = await ctx.fs.open(seg.path(LOG_SUFFIX), mode);
  const size = await seg.file.size();
  seg.reservedSize = seg.writtenSize = seg.visibleSize = size;
  seg.lastModifiedMs = (await ctx.fs.stat(seg.path(LOG_SUFFIX)))?.mtimeMs ?? ctx.nowMs;
  return seg;
}

/** A new, empty active segment whose directory entry is durable. */
export async function createSegment(
  ctx: Pick<RecoveryContext, 'fs' | 'dir' | 'indexIntervalBytes' | 'nowMs'>,
  base: bigint,
): Promise<Segment> {
  const seg = new Segment(ctx.dir, base, ctx.nowMs);
  seg.file = await ctx.fs.open(seg.path(LOG_SUFFIX), 'create');
  await ctx.fs.syncDir(ctx.dir);
  seg.activate(new IndexBuilder(ctx.indexIntervalBytes));
  return seg;
}

async function recoverActiveSegment(ctx: RecoveryContext, base: bigint): Promise<Segment> {
  const seg = await openSegment(ctx, base, 'readWrite');
  const size = seg.writtenSize;
  const scan = await scanSegment(seg.file!, base, size, ctx.indexIntervalBytes);
  if (scan.problem) {
    ctx.logger.warn(
      {
        dir: ctx.dir,
        segment: base,
        keptBatches: scan.batches,
        truncatedAtPosition: scan.validSize,
        droppedBytes: size - scan.validSize,
        droppedFromOffset: scan.endOffset,
        reason: scan.problem.reason,
      },
      'truncated torn or corrupt log tail',
    );
    await seg.file!.truncate(scan.validSize);
    await seg.file!.sync();
  }
  seg.reservedSize = seg.writtenSize = seg.visibleSize = scan.validSize;
  seg.endOffset = scan.endOffset;
  seg.maxTimestamp = scan.builder.maxTimestamp;
  seg.firstAppendAtMs = scan.validSize > 0 ? ctx.nowMs : -1;
  seg.activate(scan.builder);
  return seg;
}

/**
 * Rebuilds a closed segment's indexes by a validating scan (their files failed a check). A bad batch or a
 * segment that does not end where the next one starts is returned as corruption; otherwise the rebuilt
 * index files are written.
 */
export async function rebuildClosedSegment(
  ctx: Pick<RecoveryContext, 'fs' | 'dir' | 'indexIntervalBytes' | 'logger'>,
  seg: Segment,
  why: string,
): Promise<Corruption | undefined> {
  const scan = await scanSegment(seg.file!, seg.baseOffset, seg.writtenSize, ctx.indexIntervalBytes);
  seg.offsetIndex = scan.builder.offsetIndex;
  seg.timeIndex = scan.builder.timeIndex;
  seg.maxTimestamp = scan.builder.maxTimestamp;
  const base = { segmentBaseOffset: seg.baseOffset, offset: scan.endOffset, position: scan.validSize };
  if (scan.problem) return { ...base, reason: scan.problem.reason };
  if (scan.endOffset !== seg.endOffset) {
    return {
      ...base,
      reason: `segment ends at offset ${scan.endOffset}, the next starts at ${seg.endOffset}`,
    };
  }
  await seg.writeIndexFiles(ctx.fs, true);
  ctx.logger.info({ dir: ctx.dir, segment: seg.baseOffset, reason: why }, 'rebuilt segment indexes');
  return undefined;
}
