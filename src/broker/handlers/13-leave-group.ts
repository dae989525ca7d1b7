// LeaveGroup (key 13), versions 0-5. v0-2 name one member and answer with a top-level error; v3+ name
// several (`members`, each by member id and/or group instance id) and answer one error per member, the
// top level only for what concerns the whole group. Removing a member starts a rebalance.
import { ErrorCode } from '../../protocol/error-codes.ts';
import { LeaveGroupApi, type LeaveGroupResponse } from '../../protocol/messages/index.ts';
import { defineHandler } from './handler.ts';

export const leaveGroupHandler = defineHandler({
  api: LeaveGroupApi,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, request): LeaveGroupResponse {
    const batched = ctx.apiVersion >= 3;
    const identities = batched
      ? request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }))
      : [{ memberId: request.memberId, groupInstanceId: null }];
    const { errorCode, members } = ctx.broker.groups.leave(request.groupId, identities);
    if (!batched) {
      return {
        throttleTimeMs: 0,
        errorCode: errorCode !== ErrorCode.NONE ? errorCode : members[0],
        members: [],
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode,
      members: members.map((code, i) => ({ ...identities[i], errorCode: code })),
    };
  },
});
