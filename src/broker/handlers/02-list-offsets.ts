// ListOffsets (key 2), versions 1-7 (v0's old_style_offsets list is not served; no client here needs it).
// Per partition: -2 the log start offset, -1 the high watermark (the last stable offset for
// read_committed), -3 the record with the largest timestamp, any other value the first record whose
// timestamp is >= it (offset -1 and timestamp -1 when there is none).
import { ErrorCode } from '../../protocol/error-codes.ts';
import {
  ListOffsetsApi,
  type ListOffsetsRequest,
  type ListOffsetsRequestListOffsetsPartition,
  type ListOffsetsResponse,
  type ListOffsetsResponseListOffsetsPartitionResponse,
} from '../../protocol/messages/index.ts';
import type { BrokerContext } from '../broker-context.ts';
import type { TimestampOffset } from '../log/index.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import { errorCodeOf, leaderEpochError, partitionByName } from './partition-lookup.ts';
import { readLimit } from './read-isolation.ts';
import { offsetForTimestamp, offsetOfMaxTimestamp } from './timestamp-lookup.ts';

export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;
export const MAX_TIMESTAMP = -3n;

type PartitionResponse = ListOffsetsResponseListOffsetsPartitionResponse;

function answer(partitionIndex: number, errorCode: number, found?: TimestampOffset): PartitionResponse {
  return {
    partitionIndex,
    errorCode,
    oldStyleOffsets: [],
    timestamp: found?.timestamp ?? -1n,
    offset: found?.offset ?? -1n,
    // One leader epoch per partition, ever: 0. No answer has no epoch.
    leaderEpoch: found ? 0 : -1,
  };
}

async function listPartition(
  broker: BrokerContext,
  request: ListOffsetsRequest,
  topicName: string,
  p: ListOffsetsRequestListOffsetsPartition,
): Promise<PartitionResponse> {
  const found = partitionByName(broker, topicName, p.partitionIndex);
  if (found.errorCode !== undefined) return answer(p.partitionIndex, found.errorCode);
  const { partition } = found;
  const epochError = leaderEpochError(p.currentLeaderEpoch, partition);
  if (epochError !== ErrorCode.NONE) return answer(p.partitionIndex, epochError);
  const { log } = partition;
  try {
    let result: TimestampOffset | undefined;
    if (p.timestamp === EARLIEST_TIMESTAMP) result = { offset: log.logStartOffset, timestamp: -1n };
    else if (p.timestamp === LATEST_TIMESTAMP)
      result = { offset: readLimit(broker, partition, request.isolationLevel), timestamp: -1n };
    else if (p.timestamp === MAX_TIMESTAMP) result = await offsetOfMaxTimestamp(log);
    else result = await offsetForTimestamp(log, p.timestamp);
    return answer(p.partitionIndex, ErrorCode.NONE, result);
  } catch (err) {
    const where = { topic: topicName, partition: p.partitionIndex, timestamp: String(p.timestamp) };
    return answer(p.partitionIndex, errorCodeOf(broker, err, where));
  }
}

async function handleListOffsets(
  ctx: RequestContext,
  request: ListOffsetsRequest,
): Promise<ListOffsetsResponse> {
  const topics = await Promise.all(
    request.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(t.partitions.map((p) => listPartition(ctx.broker, request, t.name, p))),
    })),
  );
  return { throttleTimeMs: 0, topics };
}

export const listOffsetsHandler = defineHandler({
  api: ListOffsetsApi,
  minVersion: 1,
  maxVersion: 7,
  handle: handleListOffsets,
});
