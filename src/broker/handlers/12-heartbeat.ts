// Heartbeat (key 12), versions 0-4: keeps a member's session alive. REBALANCE_IN_PROGRESS is how a member
// learns that the group is rebalancing and it must join again; see groups/rebalance.ts.
import { HeartbeatApi, type HeartbeatResponse } from '../../protocol/messages/index.ts';
import { defineHandler } from './handler.ts';

export const heartbeatHandler = defineHandler({
  api: HeartbeatApi,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, request): HeartbeatResponse {
    const errorCode = ctx.broker.groups.heartbeat(
      request.groupId,
      request.memberId,
      ctx.apiVersion >= 3 ? request.groupInstanceId : null,
      request.generationId,
    );
    return { throttleTimeMs: 0, errorCode };
  },
});
