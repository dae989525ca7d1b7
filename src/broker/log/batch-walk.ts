// Walking the record batches of a segment file with positional reads: header by header (reads, lookups)
// or batch by batch with full validation (recovery, index rebuilds). Never loads a whole segment.
import {
  BATCH_LENGTH_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_OVERHEAD,
  batchSizeAt,
  validateBatch,
} from '../../protocol/record-batch.ts';
import type { LogFile } from './fs.ts';
import { OffsetIndex } from './offset-index.ts';
import { TimeIndex } from './time-index.ts';

const HEADER_CHUNK_BYTES = 16 * 1024;
const SCAN_CHUNK_BYTES = 1024 * 1024;

/** The header fields of one batch that the log needs, and where the batch is. */
export interface BatchRef {
  position: number;
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
}

/** Bytes at `position` that are not a plausible batch. */
export interface BatchProblem {
  position: number;
  reason: string;
}

export function isProblem(x: BatchRef | BatchProblem): x is BatchProblem {
  return 'reason' in x;
}

/**
 * Parses the header of the batch at `at` in `buf` (whose byte 0 is file position `position`) and checks it
 * against what the log expects there: magic 2, a length that fits before `end`, the expected base offset.
 */
export function parseHeader(
  buf: Buffer,
  at: number,
  position: number,
  end: number,
  expectedBase: bigint,
): BatchRef | BatchProblem {
  if (end - position < RECORD_BATCH_OVERHEAD || buf.length - at < RECORD_BATCH_OVERHEAD) {
    return { position, reason: `incomplete batch header (${end - position} bytes left)` };
  }
  const view = new DataView(buf.buffer, buf.byteOffset + at, RECORD_BATCH_OVERHEAD);
  const size = LOG_OVERHEAD + view.getInt32(BATCH_LENGTH_OFFSET);
  if (size < RECORD_BATCH_OVERHEAD) return { position, reason: `batch length ${size} is too small` };
  if (position + size > end) return { position, reason: `batch of ${size} bytes runs past the end (${end})` };
  const magic = view.getInt8(MAGIC_OFFSET);
  if (magic !== MAGIC_V2) return { position, reason: `magic ${magic} instead of ${MAGIC_V2}` };
  const baseOffset = view.getBigInt64(0);
  if (baseOffset !== expectedBase) {
    return { position, reason: `base offset ${baseOffset} where ${expectedBase} was expected` };
  }
  const lastOffsetDelta = view.getInt32(LAST_OFFSET_DELTA_OFFSET);
  if (lastOffsetDelta < 0) return { position, reason: `negative last offset delta ${lastOffsetDelta}` };
  const maxTimestamp = view.getBigInt64(MAX_TIMESTAMP_OFFSET);
  return { position, size, baseOffset, lastOffset: baseOffset + BigInt(lastOffsetDelta), maxTimestamp };
}

/** Reads batch headers one after another from a file, a chunk at a time. */
export class HeaderWalker {
  readonly #file: LogFile;
  readonly #end: number;
  #chunk: Buffer = Buffer.alloc(0);
  #chunkPos = 0;

  constructor(file: LogFile, end: number) {
    this.#file = file;
    this.#end = end;
  }

  /** The batch at `position`, a problem, or undefined at the end. */
  async at(position: number, expectedBase: bigint): Promise<BatchRef | BatchProblem | undefined> {
    if (position >= this.#end) return undefined;
    const need = Math.min(RECORD_BATCH_OVERHEAD, this.#end - position);
    if (position < this.#chunkPos || position + need > this.#chunkPos + this.#chunk.length) {
      const len = Math.min(HEADER_CHUNK_BYTES, this.#end - position);
      const buf = Buffer.allocUnsafe(len);
      const n = await this.#file.read(buf, position);
      this.#chunk = buf.subarray(0, n);
      this.#chunkPos = position;
    }
    return parseHeader(this.#chunk, position - this.#chunkPos, position, this.#end, expectedBase);
  }
}

export interface ScanResult {
  /** Bytes from the start of the file that hold valid, contiguous batches. */
  validSize: number;
  /** Offset after the last valid batch. */
  endOffset: bigint;
  batches: number;
  /** The segment's indexes up to validSize, ready to take further batches. */
  builder: IndexBuilder;
  /** The first invalid batch, if the scan stopped before `fileSize`. */
  problem?: BatchProblem;
}

/** Adds one batch to a segment's indexes; shared by appends and scans so both build identical indexes. */
export class IndexBuilder {
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  readonly #interval: number;
  #bytesSinceEntry = 0;
  maxTimestamp = -1n;

  constructor(indexIntervalBytes: number, offsetIndex = new OffsetIndex(), timeIndex = new TimeIndex()) {
    this.#interval = indexIntervalBytes;
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
  }

  add(relativeOffset: number, position: number, size: number, maxTimestamp: bigint): void {
    if (this.#bytesSinceEntry >= this.#interval) {
      this.offsetIndex.append(relativeOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, relativeOffset);
      this.#bytesSinceEntry = 0;
    }
    this.#bytesSinceEntry += size;
    if (maxTimestamp > this.maxTimestamp) this.maxTimestamp = maxTimestamp;
  }
}

/**
 * Reads a segment from the start, validating every batch (length, magic, CRC-32C, offset sequence), and
 * builds its indexes. Stops at the first invalid or incomplete batch and reports it.
 */
export async function scanSegment(
  file: LogFile,
  baseOffset: bigint,
  fileSize: number,
  indexIntervalBytes: number,
): Promise<ScanResult> {
  const builder = new IndexBuilder(indexIntervalBytes);
  let position = 0;
  let expected = baseOffset;
  let batches = 0;
  let chunk = Buffer.alloc(0);
  let chunkPos = 0;
  let problem: BatchProblem | undefined;
  while (position < fileSize) {
    let at = position - chunkPos;
    let size = batchSizeAt(chunk, at);
    if (size < 0 || at + size > chunk.length) {
      // A corrupt length can claim gigabytes: only trust it as far as the file reaches.
      const want =
        size >= 0 && position + size <= fileSize ? Math.max(SCAN_CHUNK_BYTES, size) : SCAN_CHUNK_BYTES;
      chunk = Buffer.allocUnsafe(Math.min(want, fileSize - position));
      chunk = chunk.subarray(0, await file.read(chunk, position));
      chunkPos = position;
      at = 0;
      size = batchSizeAt(chunk, 0);
    }
    const header = parseHeader(chunk, at, position, fileSize, expected);
    if (isProblem(header)) {
      problem = header;
      break;
    }
    const check = validateBatch(chunk.subarray(at, at + size), 0);
    if (!check.ok) {
      problem = { position, reason: check.message };
      break;
    }
    builder.add(Number(expected - baseOffset), position, size, header.maxTimestamp);
    expected = header.lastOffset + 1n;
    position += size;
    batches += 1;
  }
  return {
    validSize: position,
    endOffset: expected,
    batches,
    builder,
    problem,
  };
}
