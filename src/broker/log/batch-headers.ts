// Reading the headers of a segment's batches (producer id, epoch, sequences, offsets) without their
// records: what a restarted broker rebuilds its idempotent-producer state from. Positional reads of one
// chunk at a time; batches larger than a chunk cost one small read each.
import {
  ATTR_LOG_APPEND_TIME,
  RECORD_BATCH_OVERHEAD,
  readBatchHeader,
  type RecordBatchHeader,
} from '../../protocol/record-batch.ts';
import { isProblem, parseHeader } from './batch-walk.ts';
import type { Segment } from './segment.ts';

const CHUNK_BYTES = 64 * 1024;

/** One stored batch, as far as producer state cares. */
export interface StoredBatchHeader {
  baseOffset: bigint;
  lastOffset: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  isTransactional: boolean;
  isControl: boolean;
  /** The broker's append time when the batch carries one (LogAppendTime), else -1. */
  logAppendTime: bigint;
}

/**
 * The headers of `segment`'s batches below `end` bytes (its readable size), oldest first. Stops quietly
 * at anything that is not a plausible batch: recovery has already validated the segment, and a reader
 * of headers is no place to decide about corruption.
 */
export async function* segmentBatchHeaders(segment: Segment, end: number): AsyncGenerator<StoredBatchHeader> {
  const file = segment.file;
  if (!file) return;
  let chunk = Buffer.alloc(0);
  let chunkPos = 0;
  let position = 0;
  let expected = segment.baseOffset;
  while (position < end) {
    const need = Math.min(RECORD_BATCH_OVERHEAD, end - position);
    if (position < chunkPos || position + need > chunkPos + chunk.length) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, end - position));
      chunk = buf.subarray(0, await file.read(buf, position));
      chunkPos = position;
    }
    const at = position - chunkPos;
    const ref = parseHeader(chunk, at, position, end, expected);
    if (isProblem(ref)) return;
    let h: RecordBatchHeader;
    try {
      h = readBatchHeader(chunk, at);
    } catch {
      return; // an unknown codec id: not a batch this broker wrote
    }
    yield {
      baseOffset: ref.baseOffset,
      lastOffset: ref.lastOffset,
      producerId: h.producerId,
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
      lastOffsetDelta: h.lastOffsetDelta,
      isTransactional: h.isTransactional,
      isControl: h.isControl,
      logAppendTime: h.attributes & ATTR_LOG_APPEND_TIME ? h.maxTimestamp : -1n,
    };
    expected = ref.lastOffset + 1n;
    position += ref.size;
  }
}
