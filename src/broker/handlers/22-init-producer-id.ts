// InitProducerId (key 22), versions 0-5: producer ids for idempotent producers. Min version 0 matters:
// librdkafka 2.0.2 enables its idempotent producer only if the broker's range contains 0.
//
// - No transactional id: a fresh producer id with epoch 0, every time, as Kafka does for idempotent
//   producers. That includes v3+ calls that carry the current id and epoch (KIP-360): librdkafka sends
//   them only for transactional producers (its idempotent producer bumps its own epoch after an
//   OUT_OF_ORDER_SEQUENCE_NUMBER), platformatic sends 0/0 on every call. A fresh id is always safe: batches
//   still in flight under the old id keep being deduplicated under it, where bumping the old id's epoch
//   would answer them INVALID_PRODUCER_EPOCH, which librdkafka treats as fatal. Every client simply adopts
//   the id it is given; transactionTimeoutMs is ignored for them.
// - A transactional id: the transaction coordinator's (../transactions/requests.ts): the id's producer id
//   with its epoch bumped (fencing the previous producer; an open transaction of it is aborted), or a new
//   producer id for a new transactional id. A v3+ call naming a producer id and epoch must name the
//   current ones (INVALID_PRODUCER_ID_MAPPING, else PRODUCER_FENCED from v4, INVALID_PRODUCER_EPOCH
//   before). An empty id is INVALID_REQUEST; a timeout outside 1..900000 ms INVALID_TRANSACTION_TIMEOUT.
// - A failure to reserve a new block of ids (a disk error) answers COORDINATOR_LOAD_IN_PROGRESS, as Kafka
//   does when its next id block is not available: all three clients retry it, and the next call tries
//   the reservation again.
import { ErrorCode } from '../../protocol/error-codes.ts';
import {
  InitProducerIdApi,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
} from '../../protocol/messages/index.ts';
import { defineHandler, type RequestContext } from './handler.ts';

function failure(errorCode: number): InitProducerIdResponse {
  return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
}

async function handleInitProducerId(
  ctx: RequestContext,
  request: InitProducerIdRequest,
): Promise<InitProducerIdResponse> {
  const { broker } = ctx;
  if (request.transactionalId !== null) {
    try {
      const answer = await broker.transactions.requests.initProducerId(
        request.transactionalId,
        request.transactionTimeoutMs,
        ctx.apiVersion >= 3
          ? { producerId: request.producerId, producerEpoch: request.producerEpoch }
          : undefined,
        ctx.apiVersion >= 4,
      );
      if (answer.errorCode !== ErrorCode.NONE) {
        broker.logger.debug(
          { clientId: ctx.clientId, transactionalId: request.transactionalId, errorCode: answer.errorCode },
          'InitProducerId refused',
        );
      }
      return { throttleTimeMs: 0, ...answer };
    } catch (err) {
      broker.logger.error({ err, transactionalId: request.transactionalId }, 'InitProducerId failed');
      return failure(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    }
  }
  let producerId: bigint;
  try {
    producerId = await broker.producers.ids.allocate();
  } catch (err) {
    broker.logger.error({ err }, 'could not reserve producer ids');
    return failure(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  }
  broker.logger.debug(
    {
      clientId: ctx.clientId,
      producerId,
      previous: request.producerId >= 0n ? `${request.producerId}/${request.producerEpoch}` : undefined,
    },
    'allocated producer id',
  );
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
}

export const initProducerIdHandler = defineHandler({
  api: InitProducerIdApi,
  minVersion: 0,
  maxVersion: 5,
  handle: handleInitProducerId,
});
