// AddPartitionsToTxn (key 24), versions 0-3: partitions join the producer's open transaction (opening it),
// durably before the answer. v4+ (KIP-890 broker-side batching and verifyOnly) is not advertised. Epoch
// errors: INVALID_PRODUCER_EPOCH for v0-1, PRODUCER_FENCED from v2. An unknown partition fails itself
// (UNKNOWN_TOPIC_OR_PARTITION) and the rest with OPERATION_NOT_ATTEMPTED, as Kafka answers.
import { ErrorCode } from '../../protocol/error-codes.ts';
import { AddPartitionsToTxnApi, type AddPartitionsToTxnResponse } from '../../protocol/messages/index.ts';
import { defineHandler } from './handler.ts';

export const addPartitionsToTxnHandler = defineHandler({
  api: AddPartitionsToTxnApi,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request): Promise<AddPartitionsToTxnResponse> {
    const results = await ctx.broker.transactions.requests.addPartitions(
      {
        transactionalId: request.v3AndBelowTransactionalId,
        producerId: request.v3AndBelowProducerId,
        producerEpoch: request.v3AndBelowProducerEpoch,
      },
      request.v3AndBelowTopics,
      ctx.apiVersion >= 2,
    );
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      resultsByTransaction: [],
      resultsByTopicV3AndBelow: results.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          partitionErrorCode: p.errorCode,
        })),
      })),
    };
  },
});
