// JoinGroup (key 11), versions 0-9: the first step of a rebalance. The answer may wait (the connection is
// parked) until every member has rejoined or the rebalance timeout passes; see groups/rebalance.ts.
// v0 has no rebalance timeout: the session timeout stands in for it, as in Kafka. From v4 a dynamic member
// without an id is given one with MEMBER_ID_REQUIRED and joins again with it. Only the leader gets the
// member list. skipAssignment (v9) is set only for a static leader that rejoined a Stable group without
// changing anything; before v9 that leader gets an empty list instead (its SyncGroup then changes nothing).
import { JoinGroupApi, type JoinGroupResponse } from '../../protocol/messages/index.ts';
import { clientHost } from './group-common.ts';
import { defineHandler } from './handler.ts';

export const joinGroupHandler = defineHandler({
  api: JoinGroupApi,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, request): Promise<JoinGroupResponse> {
    const v = ctx.apiVersion;
    const result = await ctx.broker.groups.join({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: v >= 5 ? request.groupInstanceId : null,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: v >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      clientId: ctx.clientId,
      clientHost: clientHost(ctx),
      requireKnownMemberId: v >= 4,
    });
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolType: result.protocolType,
      // Nullable from v7 only.
      protocolName: v >= 7 ? result.protocolName : (result.protocolName ?? ''),
      leader: result.leader,
      skipAssignment: result.skipAssignment,
      memberId: result.memberId,
      members: v < 9 && result.skipAssignment ? [] : [...result.members],
    };
  },
});
