// OffsetFetch (key 9), versions 0-8. v0-7 ask for one group (with a top-level error from v2); v8 for several
// (`groups`, each with its own error). `topics` null (v2+) asks for every committed offset of the group. A
// partition without a committed offset, or an unknown group, answers offset -1, leader epoch -1, metadata
// "" and no error, as Kafka does (consumers then apply their reset policy). `requireStable` (v7+) asks to
// wait out pending transactional commits: a partition with an offset staged by an open transaction
// (TxnOffsetCommit) answers UNSTABLE_OFFSET_COMMIT, which clients retry until the transaction ends.
import { ErrorCode } from '../../protocol/error-codes.ts';
import { OffsetFetchApi, type OffsetFetchResponse } from '../../protocol/messages/index.ts';
import type { TopicPartitions } from '../groups/offsets.ts';
import { defineHandler } from './handler.ts';

type Requested = { name: string; partitionIndexes: number[] }[] | null;

export const offsetFetchHandler = defineHandler({
  api: OffsetFetchApi,
  minVersion: 0,
  maxVersion: 8,
  handle(ctx, request): OffsetFetchResponse {
    const { offsets } = ctx.broker.groups;
    const { transactions } = ctx.broker;
    const requireStable = ctx.apiVersion >= 7 && request.requireStable;
    const fetch = (groupId: string, topics: Requested) => {
      const found = offsets.fetch(groupId, topics === null ? null : topics.map(asTopicPartitions));
      if (!requireStable) return found;
      for (const t of found) {
        for (const p of t.partitions) {
          if (transactions.hasPendingOffset(groupId, t.name, p.partitionIndex)) {
            p.errorCode = ErrorCode.UNSTABLE_OFFSET_COMMIT;
            p.committedOffset = -1n;
          }
        }
      }
      return found;
    };
    if (ctx.apiVersion >= 8) {
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: ErrorCode.NONE,
        groups: request.groups.map((g) => ({
          groupId: g.groupId,
          topics: fetch(g.groupId, g.topics),
          errorCode: ErrorCode.NONE,
        })),
      };
    }
    return {
      throttleTimeMs: 0,
      topics: fetch(request.groupId, request.topics),
      errorCode: ErrorCode.NONE,
      groups: [],
    };
  },
});

function asTopicPartitions(t: { name: string; partitionIndexes: number[] }): TopicPartitions<number> {
  return { name: t.name, partitions: t.partitionIndexes };
}
