// DeleteRecords (key 21), versions 0-2: moves each partition's log start offset up to the requested
// offset (-1 means the high watermark); segments wholly below it are deleted and reads below it get
// OFFSET_OUT_OF_RANGE. An offset below the current log start changes nothing; one past the high
// watermark (or a negative one other than -1) is OFFSET_OUT_OF_RANGE. Partitions run concurrently.
import { ErrorCode } from '../../protocol/error-codes.ts';
import {
  DeleteRecordsApi,
  type DeleteRecordsRequest,
  type DeleteRecordsRequestDeleteRecordsPartition,
  type DeleteRecordsResponse,
  type DeleteRecordsResponseDeleteRecordsPartitionResult,
} from '../../protocol/messages/index.ts';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import { errorCodeOf, partitionByName } from './partition-lookup.ts';

type PartitionResult = DeleteRecordsResponseDeleteRecordsPartitionResult;

const HIGH_WATERMARK = -1n;

async function deletePartition(
  broker: BrokerContext,
  topicName: string,
  p: DeleteRecordsRequestDeleteRecordsPartition,
): Promise<PartitionResult> {
  const failed = (errorCode: number): PartitionResult => ({
    partitionIndex: p.partitionIndex,
    lowWatermark: -1n,
    errorCode,
  });
  const found = partitionByName(broker, topicName, p.partitionIndex);
  if (found.errorCode !== undefined) return failed(found.errorCode);
  const { log } = found.partition;
  const offset = p.offset === HIGH_WATERMARK ? log.highWatermark : p.offset;
  if (offset < 0n || offset > log.highWatermark) return failed(ErrorCode.OFFSET_OUT_OF_RANGE);
  try {
    const lowWatermark = await log.deleteRecordsBefore(offset);
    return { partitionIndex: p.partitionIndex, lowWatermark, errorCode: ErrorCode.NONE };
  } catch (err) {
    const where = { topic: topicName, partition: p.partitionIndex, offset: String(p.offset) };
    return failed(errorCodeOf(broker, err, where));
  }
}

async function handleDeleteRecords(
  ctx: RequestContext,
  request: DeleteRecordsRequest,
): Promise<DeleteRecordsResponse> {
  const topics = await Promise.all(
    request.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(t.partitions.map((p) => deletePartition(ctx.broker, t.name, p))),
    })),
  );
  return { throttleTimeMs: 0, topics };
}

export const deleteRecordsHandler = defineHandler({
  api: DeleteRecordsApi,
  minVersion: 0,
  maxVersion: 2,
  handle: handleDeleteRecords,
});
