// Producing and reading back records over a RawClient with our own codec: what the process-level tests use
// to write records they can name and to check, offset by offset, what a broker serves.
import { FetchApi, ProduceApi, type FetchResponsePartitionData } from '../../src/protocol/messages/index.ts';
import { buildRecordBatch, decodeRecords, splitBatches } from '../../src/protocol/record-batch.ts';
import type { DecodedRecord } from '../../src/protocol/records.ts';
import type { RawClient } from './raw-client.ts';

export const PRODUCE_VERSION = 9;
export const FETCH_VERSION = 11;

/** One v2 batch holding `values` (UTF-8 strings or raw bytes), as a client would send it. */
export function batchOf(values: readonly (string | Buffer)[]): Buffer {
  return buildRecordBatch({
    records: values.map((v) => ({ value: typeof v === 'string' ? Buffer.from(v) : v })),
  });
}

export function produceRequest(topic: string, partition: number, records: Buffer | null, acks = -1) {
  return {
    transactionalId: null,
    acks,
    timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  };
}

/** Produces one batch with acks=all; returns the partition's error code and base offset. */
export async function produce(
  client: RawClient,
  topic: string,
  partition: number,
  values: readonly (string | Buffer)[],
): Promise<{ errorCode: number; baseOffset: bigint }> {
  const response = await client.request(
    ProduceApi,
    PRODUCE_VERSION,
    produceRequest(topic, partition, batchOf(values)),
  );
  const p = response.responses[0].partitionResponses[0];
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

export function fetchRequest(
  topic: string,
  partition: number,
  fetchOffset: bigint,
  maxBytes: number,
  maxWaitMs = 0,
) {
  return {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: '00000000-0000-0000-0000-000000000000',
        partitions: [
          {
            partition,
            currentLeaderEpoch: -1,
            fetchOffset,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: maxBytes,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

/** One Fetch of one partition without waiting for data. */
export async function fetchOnce(
  client: RawClient,
  topic: string,
  partition: number,
  fetchOffset: bigint,
  maxBytes = 1024 * 1024,
): Promise<FetchResponsePartitionData> {
  const response = await client.request(
    FetchApi,
    FETCH_VERSION,
    fetchRequest(topic, partition, fetchOffset, maxBytes),
  );
  return response.responses[0].partitions[0];
}

/** Every record of the batches in `records` (each batch CRC-checked by decodeRecords). */
export function recordsOf(records: Buffer | null): DecodedRecord[] {
  if (records === null) throw new Error('records is null: Fetch must return an empty buffer instead');
  const out: DecodedRecord[] = [];
  for (const span of splitBatches(records)) out.push(...decodeRecords(records, span.offset));
  return out;
}

export interface PartitionContents {
  highWatermark: bigint;
  logStartOffset: bigint;
  records: DecodedRecord[];
}

/** Reads a partition from `from` up to its high watermark; throws on any partition error. */
export async function fetchAll(
  client: RawClient,
  topic: string,
  partition: number,
  from = 0n,
): Promise<PartitionContents> {
  const records: DecodedRecord[] = [];
  let offset = from;
  for (;;) {
    const p = await fetchOnce(client, topic, partition, offset);
    if (p.errorCode !== 0) {
      throw new Error(`Fetch ${topic}-${partition} at ${offset} answered error code ${p.errorCode}`);
    }
    // Whole batches come back, starting with the one holding `offset`: skip what precedes it.
    const got = recordsOf(p.records).filter((r) => r.offset >= offset);
    records.push(...got);
    if (got.length > 0) offset = got[got.length - 1].offset + 1n;
    if (offset >= p.highWatermark || got.length === 0) {
      return { highWatermark: p.highWatermark, logStartOffset: p.logStartOffset, records };
    }
  }
}
