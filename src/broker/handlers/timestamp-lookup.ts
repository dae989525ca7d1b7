// Timestamp lookups at record precision, as Kafka answers them. The log's time index finds the first
// batch whose max timestamp reaches the target; the records inside that batch (decompressed when need
// be) give the exact offset and timestamp of the first record at or past the target.
import { decodeRecords, readBatchHeader, RecordBatchError } from '../../protocol/record-batch.ts';
import type { PartitionLog, TimestampOffset } from '../log/index.ts';

/** The first record at or after `from` with timestamp >= `target`, scanning whole batches forward. */
async function firstRecordReaching(
  log: PartitionLog,
  from: bigint,
  target: bigint,
): Promise<TimestampOffset | undefined> {
  for (let offset = from; offset < log.highWatermark;) {
    const { records, nextOffset } = await log.read(offset, 1);
    if (records.length === 0) return undefined;
    if (readBatchHeader(records, 0).maxTimestamp >= target) {
      for (const r of decodeRecords(records, 0)) {
        if (r.offset >= from && r.timestamp >= target) return { offset: r.offset, timestamp: r.timestamp };
      }
    }
    offset = nextOffset;
  }
  return undefined;
}

/**
 * Refines a batch-granular answer of the log. A batch whose records can't be decoded (a client can send
 * well-formed but undecompressable data: the broker never decompresses on produce) keeps the batch answer.
 */
async function refine(log: PartitionLog, batch: TimestampOffset, target: bigint): Promise<TimestampOffset> {
  try {
    return (await firstRecordReaching(log, batch.offset, target)) ?? batch;
  } catch (err) {
    if (err instanceof RecordBatchError) return batch;
    throw err;
  }
}

/** The first record (at or after the log start) whose timestamp is >= `timestamp`, if any. */
export async function offsetForTimestamp(
  log: PartitionLog,
  timestamp: bigint,
): Promise<TimestampOffset | undefined> {
  const batch = await log.offsetForTimestamp(timestamp);
  return batch && refine(log, batch, timestamp);
}

/** The first record carrying the largest timestamp in the log, if the log has any record. */
export async function offsetOfMaxTimestamp(log: PartitionLog): Promise<TimestampOffset | undefined> {
  const batch = await log.offsetOfMaxTimestamp();
  return batch && refine(log, batch, batch.timestamp);
}
