// AddOffsetsToTxn (key 25), versions 0-3: a consumer group joins the producer's open transaction, so
// TxnOffsetCommit may stage its offsets. Epoch errors: INVALID_PRODUCER_EPOCH for v0-1, PRODUCER_FENCED
// from v2.
import { AddOffsetsToTxnApi, type AddOffsetsToTxnResponse } from '../../protocol/messages/index.ts';
import { defineHandler } from './handler.ts';

export const addOffsetsToTxnHandler = defineHandler({
  api: AddOffsetsToTxnApi,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request): Promise<AddOffsetsToTxnResponse> {
    const errorCode = await ctx.broker.transactions.requests.addOffsets(
      request,
      request.groupId,
      ctx.apiVersion >= 2,
    );
    return { throttleTimeMs: 0, errorCode };
  },
});
