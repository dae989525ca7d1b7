// EndTxn (key 26), versions 0-4: commits or aborts the producer's open transaction. The answer comes once
// the decision, the markers on every partition of the transaction and (on commit) the staged offsets are
// all durable, so the producer can begin the next transaction at once. Epoch errors:
// INVALID_PRODUCER_EPOCH for v0-1, PRODUCER_FENCED from v2. v5 (KIP-890 epoch bump per transaction) is not
// advertised. A storage failure while ending answers KAFKA_STORAGE_ERROR; the decision is kept, so a retry
// (or the next start) finishes it.
import { ErrorCode } from '../../protocol/error-codes.ts';
import { EndTxnApi, type EndTxnResponse } from '../../protocol/messages/index.ts';
import { defineHandler } from './handler.ts';

export const endTxnHandler = defineHandler({
  api: EndTxnApi,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, request): Promise<EndTxnResponse> {
    try {
      const errorCode = await ctx.broker.transactions.requests.endTxn(
        request,
        request.committed,
        ctx.apiVersion >= 2,
      );
      return { throttleTimeMs: 0, errorCode };
    } catch (err) {
      ctx.broker.logger.error({ err, transactionalId: request.transactionalId }, 'EndTxn failed');
      return { throttleTimeMs: 0, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
    }
  },
});
