// SyncGroup (key 14), versions 0-5: the leader brings the assignments, every member gets its own. A member
// that syncs before the leader waits (parked) for the leader's; see groups/membership.ts. v5 names the
// protocol type and name, which must be the group's (INCONSISTENT_GROUP_PROTOCOL otherwise).
import { SyncGroupApi, type SyncGroupResponse } from '../../protocol/messages/index.ts';
import { defineHandler } from './handler.ts';

export const syncGroupHandler = defineHandler({
  api: SyncGroupApi,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request): Promise<SyncGroupResponse> {
    const v = ctx.apiVersion;
    const result = await ctx.broker.groups.sync(request.groupId, {
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: v >= 3 ? request.groupInstanceId : null,
      protocolType: v >= 5 ? request.protocolType : null,
      protocolName: v >= 5 ? request.protocolName : null,
      // Copied: the decoded bytes are views of the request frame, and assignments outlive it.
      assignments: request.assignments.map((a) => ({
        memberId: a.memberId,
        assignment: Buffer.from(a.assignment),
      })),
    });
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      protocolType: result.protocolType,
      protocolName: result.protocolName,
      assignment: result.assignment,
    };
  },
});
