// TxnOffsetCommit (key 28), versions 0-4: offsets staged in the producer's open transaction (the group must
// have been added with AddOffsetsToTxn, else INVALID_TXN_STATE). They become committed offsets only when
// the transaction commits and are dropped when it aborts; until then OffsetFetch with require_stable
// answers UNSTABLE_OFFSET_COMMIT for them. v3+ carries the consumer's member id and generation, checked
// against the group (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION). A stale epoch is INVALID_PRODUCER_EPOCH.
import { TxnOffsetCommitApi, type TxnOffsetCommitResponse } from '../../protocol/messages/index.ts';
import { defineHandler } from './handler.ts';

export const txnOffsetCommitHandler = defineHandler({
  api: TxnOffsetCommitApi,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, request): Promise<TxnOffsetCommitResponse> {
    const v3 = ctx.apiVersion >= 3;
    const results = await ctx.broker.transactions.requests.txnOffsetCommit(request, {
      groupId: request.groupId,
      memberId: v3 ? request.memberId : '',
      generationId: v3 ? request.generationId : -1,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          ...p,
          committedLeaderEpoch: ctx.apiVersion >= 2 ? p.committedLeaderEpoch : -1,
        })),
      })),
    });
    return { throttleTimeMs: 0, topics: results };
  },
});
