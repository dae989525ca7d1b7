// Reading one segment: find the batch holding an offset (offset index, then a short walk over batch
// headers), read whole batches from it with one positional read, find the first batch at or after a
// timestamp (time index, offset index, header walk). Everything is bounded by `end`, the segment's
// visible size, so nothing past the high watermark is ever looked at.
import { LOG_OVERHEAD, validateBatch } from '../../protocol/record-batch.ts';
import { HeaderWalker, isProblem, parseHeader } from './batch-walk.ts';
import type { BatchRef } from './batch-walk.ts';
import type { OffsetIndex } from './offset-index.ts';
import type { Segment } from './segment.ts';
import type { TimeIndex } from './time-index.ts';

/** Bytes that are not the batch the log expects: the first offset they make unreadable, and why. */
export interface ReadProblem {
  offset: bigint;
  position: number;
  reason: string;
}

export interface SegmentIndexes {
  offsetIndex: OffsetIndex;
  timeIndex: TimeIndex;
}

async function walkFrom(
  seg: Segment,
  offsetIndex: OffsetIndex,
  fromOffset: bigint,
  end: number,
  stop: (ref: BatchRef) => boolean,
): Promise<BatchRef | ReadProblem | undefined> {
  const entry = offsetIndex.lookup(Math.max(0, seg.relative(fromOffset)));
  const walker = new HeaderWalker(seg.file!, end);
  let position = entry.position;
  let expected = seg.baseOffset + BigInt(entry.relativeOffset);
  for (;;) {
    const ref = await walker.at(position, expected);
    if (ref === undefined) return undefined;
    if (isProblem(ref)) return { offset: expected, position, reason: ref.reason };
    if (stop(ref)) return ref;
    position += ref.size;
    expected = ref.lastOffset + 1n;
  }
}

/** The batch of `seg` that contains `target`; undefined if the segment's visible part ends first. */
export function locateBatch(
  seg: Segment,
  offsetIndex: OffsetIndex,
  target: bigint,
  end: number,
): Promise<BatchRef | ReadProblem | undefined> {
  return walkFrom(seg, offsetIndex, target, end, (ref) => ref.lastOffset >= target);
}

/** The first batch of `seg` with max timestamp >= `timestamp` and an offset >= `minOffset`. */
export function findByTimestamp(
  seg: Segment,
  indexes: SegmentIndexes,
  timestamp: bigint,
  minOffset: bigint,
  end: number,
): Promise<BatchRef | ReadProblem | undefined> {
  const from = seg.baseOffset + BigInt(indexes.timeIndex.lookup(timestamp));
  return walkFrom(
    seg,
    indexes.offsetIndex,
    from > minOffset ? from : minOffset,
    end,
    (ref) => ref.maxTimestamp >= timestamp && ref.lastOffset >= minOffset,
  );
}

export interface BatchesRead {
  records: Buffer;
  /** Offset after the last batch in `records`. */
  nextOffset: bigint;
  /** Set when reading stopped at a bad batch. */
  problem?: ReadProblem;
}

/**
 * Whole batches from `first` on, in one positional read: as many as fit in `maxBytes` (but always
 * `first`, however large: KIP-74), none whose last offset reaches `limitOffset`, none past `end`. With
 * `verifyCrc` each batch's CRC-32C is checked before it is returned. The read goes into a buffer from
 * `allocate`; the records returned are a view of it.
 */
export async function readBatches(
  seg: Segment,
  first: BatchRef,
  maxBytes: number,
  limitOffset: bigint,
  end: number,
  verifyCrc: boolean,
  allocate: (n: number) => Buffer = (n) => Buffer.allocUnsafe(n),
): Promise<BatchesRead> {
  const window = Math.max(first.size, Math.min(maxBytes, end - first.position));
  const buf = allocate(window);
  const n = await seg.file!.read(buf, first.position);
  const bytes = buf.subarray(0, n);
  let at = 0;
  let expected = first.baseOffset;
  while (n - at >= LOG_OVERHEAD) {
    const position = first.position + at;
    if (at > 0) {
      const size = LOG_OVERHEAD + bytes.readInt32BE(at + 8);
      // The window ends inside this batch, or it would exceed maxBytes: leave it for the next read.
      if (size > n - at || at + size > maxBytes) break;
    }
    const ref = parseHeader(bytes, at, position, first.position + n, expected);
    const bad = isProblem(ref)
      ? ref.reason
      : verifyCrc
        ? badCrc(bytes.subarray(at, at + ref.size))
        : undefined;
    if (bad !== undefined) {
      return {
        records: bytes.subarray(0, at),
        nextOffset: expected,
        problem: { offset: expected, position, reason: bad },
      };
    }
    if (isProblem(ref) || ref.lastOffset >= limitOffset) break;
    at += ref.size;
    expected = ref.lastOffset + 1n;
  }
  if (at === 0 && n < first.size) {
    const reason = `segment holds ${n} bytes at ${first.position}, the batch there has ${first.size}`;
    return {
      records: bytes.subarray(0, 0),
      nextOffset: expected,
      problem: { offset: expected, position: first.position, reason },
    };
  }
  return { records: bytes.subarray(0, at), nextOffset: expected };
}

function badCrc(batch: Buffer): string | undefined {
  const check = validateBatch(batch, 0);
  return check.ok ? undefined : check.message;
}
