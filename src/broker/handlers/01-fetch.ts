// Fetch (key 1), versions 4-13: sessionless (every request is a full fetch; session id 0, forgotten
// topics ignored), topics by name up to v12 and by topic id at v13. Each partition returns whole batches
// from the one containing the fetch offset. The response's maxBytes is shared by the partitions in
// request order, and the first partition with data gets at least one batch however large (KIP-74).
// Long poll: while the response holds fewer than minBytes, the request parks until an append adds
// enough, maxWaitMs passes, the broker shuts down or the connection closes (fetch-wait.ts).
import { ErrorCode } from '../../protocol/error-codes.ts';
import { countRecords } from '../../protocol/record-batch.ts';
import {
  FetchApi,
  type FetchRequest,
  type FetchResponse,
  type FetchResponsePartitionData,
  type FetchRequestFetchPartition,
} from '../../protocol/messages/index.ts';
import type { BrokerContext } from '../broker-context.ts';
import type { Partition, Topic } from '../topics/topic-manager.ts';
import { FetchWaiter } from './fetch-wait.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import { errorCodeOf, leaderEpochError } from './partition-lookup.ts';
import { abortedTransactions, lastStableOffset, readLimit } from './read-isolation.ts';

const EMPTY = Buffer.alloc(0);
const TOPIC_IDS_FROM = 13;

interface Gathered {
  response: FetchResponse;
  bytes: number;
  /** Some partition failed: Kafka answers at once rather than park. */
  anyError: boolean;
}

function errorPartition(partitionIndex: number, errorCode: number): FetchResponsePartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    abortedTransactions: [],
    preferredReadReplica: -1,
    records: EMPTY,
  };
}

function minOffset(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function findTopic(broker: BrokerContext, version: number, name: string, id: string): Topic | undefined {
  return version >= TOPIC_IDS_FROM ? broker.topics.getById(id) : broker.topics.get(name);
}

/** The partitions a request names that exist now: the ones whose appends can wake it. */
function requestedPartitions(broker: BrokerContext, version: number, request: FetchRequest): Partition[] {
  return request.topics.flatMap((t) => {
    const topic = findTopic(broker, version, t.topic, t.topicId);
    return topic ? t.partitions.flatMap((p) => topic.partitions[p.partition] ?? []) : [];
  });
}

/** What to read of one partition, and how many bytes of the response are left for it. */
interface ReadBudget {
  remaining: number;
  /** Nothing returned yet: the next partition with data gets at least one batch. */
  first: boolean;
}

async function readPartition(
  ctx: RequestContext,
  request: FetchRequest,
  topic: Topic,
  p: FetchRequestFetchPartition,
  budget: ReadBudget,
): Promise<FetchResponsePartitionData> {
  const { broker } = ctx;
  const partition = topic.partitions[p.partition];
  if (!partition) return errorPartition(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const epochError = leaderEpochError(p.currentLeaderEpoch, partition);
  if (epochError !== ErrorCode.NONE) return errorPartition(p.partition, epochError);
  const { log } = partition;
  const limit = Math.min(p.partitionMaxBytes, budget.remaining);
  const answer = (records: Buffer, nextOffset: bigint): FetchResponsePartitionData => ({
    partitionIndex: p.partition,
    errorCode: ErrorCode.NONE,
    highWatermark: log.highWatermark,
    lastStableOffset: lastStableOffset(broker, partition),
    logStartOffset: log.logStartOffset,
    abortedTransactions: abortedTransactions(
      broker,
      partition,
      request.isolationLevel,
      p.fetchOffset,
      nextOffset,
    ),
    preferredReadReplica: -1, // anything else makes librdkafka skip the data and look for that replica
    records,
  });
  try {
    if (!budget.first && limit <= 0) {
      // The response is full: no read, but an out-of-range offset is still reported.
      if (p.fetchOffset < log.logStartOffset || p.fetchOffset > log.highWatermark)
        return errorPartition(p.partition, ErrorCode.OFFSET_OUT_OF_RANGE);
      return answer(EMPTY, p.fetchOffset);
    }
    const read = await log.read(p.fetchOffset, limit, {
      maxOffset: readLimit(broker, partition, request.isolationLevel),
      allocate: ctx.allocateRead,
    });
    // read() always returns at least one batch; only the first partition with data may exceed the limit.
    const records = !budget.first && read.records.length > limit ? EMPTY : read.records;
    if (records.length > 0) {
      budget.first = false;
      budget.remaining -= records.length;
      broker.metrics.recordsOut.inc(countRecords(records));
    }
    const nextOffset = records.length > 0 ? read.nextOffset : p.fetchOffset;
    return {
      ...answer(records, nextOffset),
      // As of the read; the LSO can't pass the HWM even if an append became visible meanwhile.
      highWatermark: read.highWatermark,
      lastStableOffset: minOffset(lastStableOffset(broker, partition), read.highWatermark),
      logStartOffset: read.logStartOffset,
    };
  } catch (err) {
    const where = { topic: topic.name, partition: p.partition, fetchOffset: String(p.fetchOffset) };
    return errorPartition(p.partition, errorCodeOf(broker, err, where));
  }
}

/** Reads every requested partition, in request order, within the response's byte budget. */
async function gather(ctx: RequestContext, request: FetchRequest): Promise<Gathered> {
  const { broker, apiVersion: version } = ctx;
  const budget: ReadBudget = { remaining: request.maxBytes, first: true };
  let bytes = 0;
  let anyError = false;
  const responses: FetchResponse['responses'] = [];
  for (const t of request.topics) {
    const topic = findTopic(broker, version, t.topic, t.topicId);
    const partitions: FetchResponsePartitionData[] = [];
    for (const p of t.partitions) {
      const data = topic
        ? await readPartition(ctx, request, topic, p, budget)
        : errorPartition(
            p.partition,
            version >= TOPIC_IDS_FROM ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          );
      bytes += data.records!.length;
      if (data.errorCode !== ErrorCode.NONE) anyError = true;
      partitions.push(data);
    }
    responses.push({ topic: t.topic, topicId: t.topicId, partitions });
  }
  return {
    response: { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses },
    bytes,
    anyError,
  };
}

function satisfied(request: FetchRequest, got: Gathered): boolean {
  // A full response can't get any fuller by waiting, even when minBytes is above maxBytes.
  return got.bytes >= request.minBytes || (got.bytes > 0 && got.bytes >= request.maxBytes) || got.anyError;
}

/**
 * Whether appends since the last read could have brought the response to minBytes, judged from the
 * partitions' log sizes (no I/O), so a fetch waiting for many small appends doesn't re-read every
 * partition on each one. Sizes count appends not yet readable, so this can say yes too early (the read
 * then finds less and the fetch waits on). A log that shrank (retention) or whose topic is gone (deleted:
 * its log wakes its listeners as it closes) always gets a fresh read.
 */
function mayHaveEnough(
  broker: BrokerContext,
  request: FetchRequest,
  got: Gathered,
  partitions: Partition[],
  sizesAtRead: number[],
): boolean {
  let added = 0;
  for (const [i, p] of partitions.entries()) {
    if (broker.topics.getById(p.topic.id) !== p.topic) return true;
    const grown = p.log.sizeBytes - sizesAtRead[i];
    if (grown < 0) return true;
    added += grown;
  }
  return got.bytes + added >= request.minBytes;
}

async function handleFetch(ctx: RequestContext, request: FetchRequest): Promise<FetchResponse> {
  const { broker, apiVersion } = ctx;
  const mayPark = request.maxWaitMs > 0 && request.minBytes > 0 && request.topics.length > 0;
  if (!mayPark) return (await gather(ctx, request)).response;
  const partitions = requestedPartitions(broker, apiVersion, request);
  // Subscribed before the first read, so an append that lands while reading still wakes the request.
  const waiter = new FetchWaiter({
    partitions,
    maxWaitMs: request.maxWaitMs,
    shutdown: broker.shutdown,
    connection: ctx.connection,
  });
  const sizes = (): number[] => partitions.map((p) => p.log.sizeBytes);
  try {
    let sizesAtRead = sizes();
    let got = await gather(ctx, request);
    while (!satisfied(request, got)) {
      const reason = await waiter.wait();
      if (reason === 'closed') return got.response; // nobody will read it; just stop
      if (reason === 'data' && !mayHaveEnough(broker, request, got, partitions, sizesAtRead)) continue;
      sizesAtRead = sizes();
      got = await gather(ctx, request);
      if (reason !== 'data') break; // deadline or shutdown: answer with what there is
    }
    return got.response;
  } finally {
    waiter.dispose();
  }
}

export const fetchHandler = defineHandler({
  api: FetchApi,
  minVersion: 4,
  maxVersion: 13,
  handle: handleFetch,
});
