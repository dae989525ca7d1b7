// OffsetDelete (key 47), version 0: deletes committed offsets of a group. An Empty group's can all go; a
// consumer group with members keeps those of topics its members subscribe to (GROUP_SUBSCRIBED_TO_TOPIC,
// per partition); a non-consumer group with members is refused (NON_EMPTY_GROUP). Unknown group or empty
// id: GROUP_ID_NOT_FOUND / INVALID_GROUP_ID; unknown partitions: UNKNOWN_TOPIC_OR_PARTITION.
import { OffsetDeleteApi, type OffsetDeleteResponse } from '../../protocol/messages/index.ts';
import { defineHandler } from './handler.ts';

export const offsetDeleteHandler = defineHandler({
  api: OffsetDeleteApi,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request): Promise<OffsetDeleteResponse> {
    const { errorCode, topics } = await ctx.broker.groups.offsets.deleteOffsets(
      request.groupId,
      request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
    );
    return { errorCode, throttleTimeMs: 0, topics };
  },
});
