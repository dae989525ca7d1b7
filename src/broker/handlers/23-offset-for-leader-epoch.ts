// OffsetForLeaderEpoch (key 23), versions 0-4. librdkafka (>= 2.1) asks it to validate a consumer's
// position after a leader change (KIP-320), even unadvertised. Every partition here has had one leader
// epoch, 0, for its whole life, so the answer follows Kafka's epoch cache with a single entry starting at
// the log start offset: epoch 0 ends at the high watermark; -1 (no epoch) and epochs above 0 are unknown
// (-1, -1); an epoch below 0 (other than -1) lies before epoch 0, which begins at the log start.
import { ErrorCode } from '../../protocol/error-codes.ts';
import {
  OffsetForLeaderEpochApi,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  type OffsetForLeaderEpochResponseEpochEndOffset,
} from '../../protocol/messages/index.ts';
import type { Partition } from '../topics/topic-manager.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import { leaderEpochError, partitionByName } from './partition-lookup.ts';

type EpochEndOffset = OffsetForLeaderEpochResponseEpochEndOffset;

const UNDEFINED_EPOCH = -1;

function endOfEpoch(partition: Partition, epoch: number): { leaderEpoch: number; endOffset: bigint } {
  if (epoch === partition.leaderEpoch) return { leaderEpoch: epoch, endOffset: partition.log.highWatermark };
  if (epoch === UNDEFINED_EPOCH || epoch > partition.leaderEpoch)
    return { leaderEpoch: UNDEFINED_EPOCH, endOffset: -1n };
  return { leaderEpoch: epoch, endOffset: partition.log.logStartOffset };
}

function handleOffsetForLeaderEpoch(
  ctx: RequestContext,
  request: OffsetForLeaderEpochRequest,
): OffsetForLeaderEpochResponse {
  const topics = request.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p): EpochEndOffset => {
      const failed = (errorCode: number): EpochEndOffset => ({
        errorCode,
        partition: p.partition,
        leaderEpoch: UNDEFINED_EPOCH,
        endOffset: -1n,
      });
      const found = partitionByName(ctx.broker, t.topic, p.partition);
      if (found.errorCode !== undefined) return failed(found.errorCode);
      const epochError = leaderEpochError(p.currentLeaderEpoch, found.partition);
      if (epochError !== ErrorCode.NONE) return failed(epochError);
      return {
        errorCode: ErrorCode.NONE,
        partition: p.partition,
        ...endOfEpoch(found.partition, p.leaderEpoch),
      };
    }),
  }));
  return { throttleTimeMs: 0, topics };
}

export const offsetForLeaderEpochHandler = defineHandler({
  api: OffsetForLeaderEpochApi,
  minVersion: 0,
  maxVersion: 4,
  handle: handleOffsetForLeaderEpoch,
});
