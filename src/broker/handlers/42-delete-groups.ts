// DeleteGroups (key 42), versions 0-2: an Empty group is deleted with its committed offsets; a group with
// members answers NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND. One result per named group, in order.
import { DeleteGroupsApi, type DeleteGroupsResponse } from '../../protocol/messages/index.ts';
import { defineHandler } from './handler.ts';

export const deleteGroupsHandler = defineHandler({
  api: DeleteGroupsApi,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request): Promise<DeleteGroupsResponse> {
    const results = [];
    for (const groupId of request.groupsNames) {
      results.push({ groupId, errorCode: await ctx.broker.groups.deleteGroup(groupId) });
    }
    return { throttleTimeMs: 0, results };
  },
});
