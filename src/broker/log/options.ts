// Options of a partition log, their defaults and their limits.
import { RECORD_BATCH_OVERHEAD } from '../../protocol/record-batch.ts';
import type { Durability } from './append-pipeline.ts';

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

export type ResolvedLogOptions = Required<PartitionLogOptions>;

const MAX_SEGMENT_BYTES = 2 ** 31 - 1;

/** Fills in defaults; throws RangeError for values the log cannot work with. */
export function resolveLogOptions(options: PartitionLogOptions): ResolvedLogOptions {
  const resolved: ResolvedLogOptions = {
    segmentBytes: options.segmentBytes ?? 1024 * 1024 * 1024,
    segmentMs: options.segmentMs ?? 7 * 24 * 3600 * 1000,
    indexIntervalBytes: options.indexIntervalBytes ?? 4096,
    durability: options.durability ?? { mode: 'fsync' },
    leaderEpoch: options.leaderEpoch ?? 0,
    verifyClosedSegmentReads: options.verifyClosedSegmentReads ?? true,
    maxLoadedIndexes: options.maxLoadedIndexes ?? 64,
    clock: options.clock ?? Date.now,
  };
  const { segmentBytes, segmentMs, indexIntervalBytes, durability, maxLoadedIndexes } = resolved;
  if (!(segmentBytes >= RECORD_BATCH_OVERHEAD && segmentBytes <= MAX_SEGMENT_BYTES)) {
    throw new RangeError(
      `segmentBytes ${segmentBytes} is not in [${RECORD_BATCH_OVERHEAD}, ${MAX_SEGMENT_BYTES}]`,
    );
  }
  if (!(segmentMs > 0)) throw new RangeError(`segmentMs ${segmentMs} must be > 0`);
  if (!(indexIntervalBytes >= 1))
    throw new RangeError(`indexIntervalBytes ${indexIntervalBytes} must be >= 1`);
  if (!(maxLoadedIndexes >= 1)) throw new RangeError(`maxLoadedIndexes ${maxLoadedIndexes} must be >= 1`);
  if (durability.mode === 'interval' && !(durability.intervalMs > 0)) {
    throw new RangeError(`durability intervalMs ${durability.intervalMs} must be > 0`);
  }
  return resolved;
}
