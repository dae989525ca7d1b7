// ListGroups (key 16), versions 0-5: every group this coordinator has, with its protocol type; the state
// from v4 (and `statesFilter`, case-insensitive), the type from v5 (always "classic"; `typesFilter`).
import { ErrorCode } from '../../protocol/error-codes.ts';
import { ListGroupsApi, type ListGroupsResponse } from '../../protocol/messages/index.ts';
import { defineHandler } from './handler.ts';

export const listGroupsHandler = defineHandler({
  api: ListGroupsApi,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, request): ListGroupsResponse {
    const v = ctx.apiVersion;
    const groups = ctx.broker.groups.list(
      v >= 4 ? request.statesFilter : [],
      v >= 5 ? request.typesFilter : [],
    );
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: groups.map((g) => ({ ...g })) };
  },
});
