// What the log checks and changes in a batch handed to append(): only header fields, never the records.
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
} from '../../protocol/record-batch.ts';
import { InvalidBatchError } from './errors.ts';

/**
 * The batch's lastOffsetDelta, or why the buffer is not exactly one v2 batch. The caller (the broker's
 * produce path) validated the batch; this only guards the log's own arithmetic against a caller's bug.
 */
export function appendableDelta(batch: Buffer): number | InvalidBatchError {
  if (
    batch.length < RECORD_BATCH_OVERHEAD ||
    batchSizeAt(batch, 0) !== batch.length ||
    batch[MAGIC_OFFSET] !== MAGIC_V2
  ) {
    return new InvalidBatchError(`append takes exactly one v2 record batch (${batch.length} bytes given)`);
  }
  const delta = batch.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
  return delta < 0 ? new InvalidBatchError(`lastOffsetDelta ${delta} < 0`) : delta;
}

/** LogAppendTime: attribute bit 3 and the max timestamp are inside the CRC, so it is recomputed. */
export function stampLogAppendTime(batch: Buffer, time: bigint): void {
  batch.writeInt16BE(batch.readInt16BE(ATTRIBUTES_OFFSET) | ATTR_LOG_APPEND_TIME, ATTRIBUTES_OFFSET);
  batch.writeBigInt64BE(time, MAX_TIMESTAMP_OFFSET);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
}
