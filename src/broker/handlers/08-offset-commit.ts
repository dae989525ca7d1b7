// OffsetCommit (key 8), versions 0-8. A group with members takes commits from its current members at the
// current generation (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS while the generation is
// being completed); a group without members (or none at all) takes "simple" commits with generation -1,
// as from librdkafka's assign() or kafkajs's admin.setOffsets. v0 has neither generation nor member: it is
// a simple commit. Unknown topics or partitions are refused per partition. The answer waits until the
// accepted offsets are durable (the store's durability policy). v2-4 retention and v1 timestamps are
// ignored (offsets are kept until deleted); the leader epoch is kept from v6.
import { OffsetCommitApi, type OffsetCommitResponse } from '../../protocol/messages/index.ts';
import { defineHandler } from './handler.ts';

export const offsetCommitHandler = defineHandler({
  api: OffsetCommitApi,
  minVersion: 0,
  maxVersion: 8,
  async handle(ctx, request): Promise<OffsetCommitResponse> {
    const v = ctx.apiVersion;
    const topics = await ctx.broker.groups.offsets.commit({
      groupId: request.groupId,
      generationId: v >= 1 ? request.generationIdOrMemberEpoch : -1,
      memberId: v >= 1 ? request.memberId : '',
      groupInstanceId: v >= 7 ? request.groupInstanceId : null,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
          metadata: p.committedMetadata,
        })),
      })),
    });
    return { throttleTimeMs: 0, topics };
  },
});
