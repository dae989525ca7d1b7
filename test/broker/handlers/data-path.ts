// Helpers of the data-path handler tests (Produce, Fetch, ListOffsets, DeleteRecords, OffsetForLeaderEpoch):
// request bodies with every field a version needs, record batches built with our codec, and decoding of
// what a fetch returned.
import type { TestContext } from 'node:test';
import { ZERO_UUID, type Topic } from '../../../src/broker/topics/topic-manager.ts';
import type { TopicOverrides } from '../../../src/broker/topics/topic-config.ts';
import {
  FetchApi,
  ProduceApi,
  type FetchRequest,
  type FetchResponse,
  type FetchResponsePartitionData,
  type ProduceResponsePartitionProduceResponse,
} from '../../../src/protocol/messages/index.ts';
import {
  buildRecordBatch,
  decodeRecords,
  splitBatches,
  type BuildRecordBatchOptions,
} from '../../../src/protocol/record-batch.ts';
import { startTestBroker, type TestBroker } from '../../helpers/broker.ts';
import type { StartBrokerOptions } from '../../../src/broker/broker.ts';
import { RawClient } from '../../helpers/raw-client.ts';

export interface Setup {
  broker: TestBroker;
  client: RawClient;
  topic: Topic;
}

/** A broker, one topic (created directly on the topic manager) and a raw client, all closed after `t`. */
export async function setup(
  t: TestContext,
  options: { partitions?: number; overrides?: TopicOverrides; broker?: StartBrokerOptions } = {},
): Promise<Setup> {
  const broker = await startTestBroker(t, options.broker);
  const topic = await broker.context.topics.create(
    'events',
    options.partitions ?? 1,
    options.overrides ?? {},
  );
  const client = await connectClient(t, broker);
  return { broker, client, topic };
}

export async function connectClient(t: TestContext, broker: TestBroker): Promise<RawClient> {
  const client = await RawClient.connect(broker.port);
  t.after(() => client.close());
  return client;
}

/** A batch of `count` records "<tag>-0".. with keys "k0".. and timestamps from `timestamp` up by 1. */
export function batchOf(
  tag: string,
  count = 1,
  options: Partial<BuildRecordBatchOptions> & { timestamp?: bigint } = {},
): Buffer {
  const timestamp = options.timestamp ?? 1_700_000_000_000n;
  return buildRecordBatch({
    ...options,
    records: Array.from({ length: count }, (_, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`${tag}-${i}`),
      timestamp: timestamp + BigInt(i),
    })),
  });
}

/** Produces one batch to one partition and returns that partition's response. */
export async function produce(
  client: RawClient,
  version: number,
  topic: string,
  partition: number,
  records: Buffer | null,
  acks = -1,
): Promise<ProduceResponsePartitionProduceResponse> {
  const res = await client.request(ProduceApi, version, {
    transactionalId: null,
    acks,
    timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  return res.responses[0].partitionResponses[0];
}

export interface FetchTarget {
  partition?: number;
  offset: bigint;
  maxBytes?: number;
  currentLeaderEpoch?: number;
}

/** A Fetch request body for one topic; `topic` is a name (v4-12) or a Topic (its id is used at v13). */
export function fetchRequest(
  topic: Topic | string,
  targets: FetchTarget[],
  options: Partial<Pick<FetchRequest, 'maxWaitMs' | 'minBytes' | 'maxBytes' | 'isolationLevel'>> = {},
): FetchRequest {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 50 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    ...options,
    topics: [
      {
        topic: typeof topic === 'string' ? topic : topic.name,
        topicId: typeof topic === 'string' ? ZERO_UUID : topic.id,
        partitions: targets.map((t) => ({
          partition: t.partition ?? 0,
          currentLeaderEpoch: t.currentLeaderEpoch ?? -1,
          fetchOffset: t.offset,
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes: t.maxBytes ?? 1024 * 1024,
        })),
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

export function fetch(client: RawClient, version: number, request: FetchRequest): Promise<FetchResponse> {
  return client.request(FetchApi, version, request);
}

/** Offsets and values of every record in a fetched partition, batch by batch. */
export function recordsOf(data: FetchResponsePartitionData): { offset: bigint; value: string }[] {
  const buf = data.records ?? Buffer.alloc(0);
  return [...splitBatches(buf)].flatMap(({ offset }) =>
    decodeRecords(buf, offset).map((r) => ({ offset: r.offset, value: r.value?.toString() ?? '' })),
  );
}

/** Base offsets of the batches in a fetched partition. */
export function batchBaseOffsets(data: FetchResponsePartitionData): bigint[] {
  const buf = data.records ?? Buffer.alloc(0);
  return [...splitBatches(buf)].map(({ offset }) => buf.readBigInt64BE(offset));
}

/** Polls `condition` until true, failing after a generous deadline (no fixed sleeps). */
export async function waitFor(condition: () => boolean, what: string, deadlineMs = 30_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
