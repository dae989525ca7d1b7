// Produce (key 0), versions 3-11: record batch v2 only (v3 is the first version that carries it, and the
// one librdkafka needs to enable it). Each partition's batch is checked in Kafka's order, passed through
// the producer-state gate (produce-admission.ts: idempotent retries are answered with their original
// offset), and appended; the appends of one request run concurrently and a failed partition never fails
// the others. acks=0 gets no response; if any of its partitions failed, the connection is closed
// instead, which is how Kafka tells such a producer. A test's fault hook (faults.ts) may drop the
// connection after the appends instead of answering.
import { ErrorCode } from '../../protocol/error-codes.ts';
import { countRecords } from '../../protocol/record-batch.ts';
import {
  ProduceApi,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
} from '../../protocol/messages/index.ts';
import {
  MAGIC_OFFSET,
  MAGIC_V2,
  RECORD_BATCH_OVERHEAD,
  batchSizeAt,
  validateBatch,
  type RecordBatchHeader,
} from '../../protocol/record-batch.ts';
import type { BrokerContext } from '../broker-context.ts';
import type { Partition } from '../topics/topic-manager.ts';
import { topicNameProblem } from '../topics/topic-name.ts';
import { NO_RESPONSE, defineHandler, type HandlerResult, type RequestContext } from './handler.ts';
import { errorCodeOf, partitionByName } from './partition-lookup.ts';
import { admitProducedBatch } from './produce-admission.ts';

type PartitionResponse = ProduceResponsePartitionProduceResponse;

interface Rejection {
  errorCode: number;
  message: string;
}

/**
 * Checks that `records` is exactly one whole v2 batch the topic accepts. Order as in Kafka: the framing
 * (one batch, its length, magic), then the size limit (before the CRC, so an oversized batch is not
 * checksummed), then CRC, codec and counts, then what a client may not send (a base offset other than
 * 0, which kafkajs, librdkafka and platformatic never do; the control bit, which only the broker sets).
 */
export function checkProducedBatch(
  records: Buffer | null,
  maxMessageBytes: number,
): { header: RecordBatchHeader } | Rejection {
  const corrupt = (message: string): Rejection => ({ errorCode: ErrorCode.CORRUPT_MESSAGE, message });
  if (records === null || records.length === 0) return corrupt('no record batch');
  const size = batchSizeAt(records, 0);
  if (size < RECORD_BATCH_OVERHEAD) return corrupt(`bad batch length (${records.length} bytes sent)`);
  if (size > records.length)
    return corrupt(`truncated batch: ${size} bytes declared, ${records.length} sent`);
  if (size < records.length) return corrupt('more than one record batch, or bytes after the batch');
  if (records[MAGIC_OFFSET] !== MAGIC_V2)
    return corrupt(`magic ${records[MAGIC_OFFSET]}, only 2 is accepted`);
  if (size > maxMessageBytes) {
    return {
      errorCode: ErrorCode.MESSAGE_TOO_LARGE,
      message: `batch of ${size} bytes is larger than max.message.bytes (${maxMessageBytes})`,
    };
  }
  const valid = validateBatch(records, 0);
  if (!valid.ok) return corrupt(valid.message);
  const { header } = valid;
  if (header.recordCount === 0) return corrupt('a batch with no records');
  if (header.baseOffset !== 0n) {
    return { errorCode: ErrorCode.INVALID_RECORD, message: `base offset ${header.baseOffset}, must be 0` };
  }
  if (header.isControl) {
    return { errorCode: ErrorCode.INVALID_RECORD, message: 'control batches are written by the broker only' };
  }
  return { header };
}

function partitionResponse(index: number, errorCode: number): PartitionResponse {
  return {
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage: null,
  };
}

/** Validates, admits and starts appending one partition's batch; the promise never rejects. */
function producePartition(
  broker: BrokerContext,
  request: ProduceRequest,
  topicName: string,
  index: number,
  records: Buffer | null,
): Promise<PartitionResponse> | PartitionResponse {
  const where = { topic: topicName, partition: index };
  const found = partitionByName(broker, topicName, index);
  if (found.errorCode !== undefined) {
    // No topic can have an illegal name: say that rather than "unknown" (Kafka's own produce can't tell).
    const invalidName = !broker.topics.get(topicName) && topicNameProblem(topicName) !== undefined;
    return partitionResponse(index, invalidName ? ErrorCode.INVALID_TOPIC_EXCEPTION : found.errorCode);
  }
  const partition: Partition = found.partition;
  const settings = partition.topic.settings;
  const checked = checkProducedBatch(records, settings['max.message.bytes']);
  if ('errorCode' in checked) {
    broker.logger.debug({ ...where, error: checked.message }, 'produce rejected');
    return partitionResponse(index, checked.errorCode);
  }
  const verdict = admitProducedBatch(broker.producers.state, broker.transactions.requests, {
    partition,
    header: checked.header,
    transactionalId: request.transactionalId,
  });
  if (verdict.kind === 'reject') {
    broker.logger.debug({ ...where, error: verdict.message }, 'produce rejected');
    return partitionResponse(index, verdict.errorCode);
  }
  if (verdict.kind === 'duplicate') {
    const { producerId, producerEpoch, baseSequence } = checked.header;
    broker.logger.debug(
      { ...where, producerId, producerEpoch, baseSequence },
      'retried batch: answering with the original offset',
    );
    // Answered once the original append is acknowledged, never before: it may still fail.
    return verdict.original.then(
      (original) => ({
        ...partitionResponse(index, ErrorCode.NONE),
        baseOffset: original.baseOffset,
        logAppendTimeMs: original.logAppendTimeMs,
        logStartOffset: partition.log.logStartOffset,
      }),
      (err: unknown) => partitionResponse(index, errorCodeOf(broker, err, where)),
    );
  }
  const logAppendTime = settings['message.timestamp.type'] === 'LogAppendTime';
  // append() assigns the offsets now, synchronously, so partitions of one request (and requests on
  // other connections) get offsets in the order they were admitted.
  return partition.log.append(records!, { logAppendTime }).then(
    (result) => {
      verdict.appended?.(result);
      broker.metrics.recordsIn.inc(countRecords(records!));
      return {
        ...partitionResponse(index, ErrorCode.NONE),
        baseOffset: result.baseOffset,
        logAppendTimeMs: logAppendTime ? result.logAppendTime : -1n,
        logStartOffset: partition.log.logStartOffset,
      };
    },
    (err: unknown) => {
      verdict.failed?.(err);
      return partitionResponse(index, errorCodeOf(broker, err, where));
    },
  );
}

async function handleProduce(
  ctx: RequestContext,
  request: ProduceRequest,
): Promise<HandlerResult<ProduceResponse>> {
  const { broker } = ctx;
  const acksValid = request.acks === -1 || request.acks === 0 || request.acks === 1;
  const responses = await Promise.all(
    request.topicData.map(async (topic) => ({
      name: topic.name,
      partitionResponses: await Promise.all(
        topic.partitionData.map((p) =>
          Promise.resolve(
            acksValid
              ? producePartition(broker, request, topic.name, p.index, p.records)
              : partitionResponse(p.index, ErrorCode.INVALID_REQUIRED_ACKS),
          ),
        ),
      ),
    })),
  );
  if (request.acks === 0) {
    const failed = responses.flatMap((t) =>
      t.partitionResponses.filter((p) => p.errorCode !== ErrorCode.NONE).map((p) => `${t.name}-${p.index}`),
    );
    if (failed.length > 0)
      ctx.connection.close(`closing connection: acks=0 produce failed for ${failed.join(', ')}`);
    return NO_RESPONSE;
  }
  const fault = broker.faults.afterProduceAppend?.({
    clientId: ctx.clientId,
    apiVersion: ctx.apiVersion,
    partitions: responses.flatMap((t) =>
      t.partitionResponses.map((p) => ({
        topic: t.name,
        partition: p.index,
        errorCode: p.errorCode,
        baseOffset: p.baseOffset,
      })),
    ),
  });
  if (fault === 'drop-connection') {
    ctx.connection.close('fault injection: connection dropped after the produce append, before its response');
    return NO_RESPONSE;
  }
  return { responses, throttleTimeMs: 0 };
}

export const produceHandler = defineHandler({
  api: ProduceApi,
  minVersion: 3,
  maxVersion: 11,
  handle: handleProduce,
});
