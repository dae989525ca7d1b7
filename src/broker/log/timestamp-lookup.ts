// Timestamp lookups over a log's segments (ListOffsets by time, and the max timestamp), at batch
// granularity: the answer is a batch's base offset, never an offset inside a batch.
import type { Segment } from './segment.ts';
import { findByTimestamp } from './segment-read.ts';
import type { ReadProblem, SegmentIndexes } from './segment-read.ts';

export interface TimestampOffset {
  offset: bigint;
  timestamp: bigint;
}

export interface LookupContext {
  segments: readonly Segment[];
  logStartOffset: bigint;
  indexes(seg: Segment): Promise<SegmentIndexes>;
  /** Records a bad batch found on the way and returns the error to throw. */
  corrupt(seg: Segment, problem: ReadProblem): Error;
}

/**
 * The first batch at or after the log start offset and below the high watermark whose max timestamp is
 * >= `timestamp`: its base offset (the log start offset when that lies inside the batch) and max timestamp.
 */
export async function offsetForTimestamp(
  ctx: LookupContext,
  timestamp: bigint,
): Promise<TimestampOffset | undefined> {
  for (const seg of ctx.segments) {
    if (seg.visibleMaxTimestamp < timestamp) continue;
    if (!seg.file || seg.visibleSize === 0) return undefined;
    seg.acquire();
    try {
      const indexes = await ctx.indexes(seg);
      const ref = await findByTimestamp(seg, indexes, timestamp, ctx.logStartOffset, seg.visibleSize);
      if (ref === undefined) continue;
      if ('reason' in ref) throw ctx.corrupt(seg, ref);
      return {
        offset: ref.baseOffset < ctx.logStartOffset ? ctx.logStartOffset : ref.baseOffset,
        timestamp: ref.maxTimestamp,
      };
    } finally {
      await seg.release();
    }
  }
  return undefined;
}

/** The first batch with the largest max timestamp below the high watermark. */
export async function offsetOfMaxTimestamp(ctx: LookupContext): Promise<TimestampOffset | undefined> {
  let best: Segment | undefined;
  for (const seg of ctx.segments) {
    if (seg.visibleSize === 0 || seg.visibleMaxTimestamp < 0n) continue;
    if (!best || seg.visibleMaxTimestamp > best.visibleMaxTimestamp) best = seg;
  }
  if (!best) return undefined;
  if (best.visibleMaxTimestampOffset < 0n) {
    // Not seen since open: the first batch reaching the segment's max timestamp is the one.
    const found = await offsetForTimestamp({ ...ctx, segments: [best] }, best.visibleMaxTimestamp);
    if (!found) return undefined;
    best.visibleMaxTimestampOffset = found.offset;
  }
  const offset = best.visibleMaxTimestampOffset;
  return {
    offset: offset < ctx.logStartOffset ? ctx.logStartOffset : offset,
    timestamp: best.visibleMaxTimestamp,
  };
}
