// Consume catch-up: one @platformatic/kafka client reads a topic that already holds its records, from the
// beginning to the end, as fast as it can. Consumer groups do not exist in the broker yet, so this uses the
// Consumer's group-less `fetch()` (the same call its group-managed stream makes) with offsets kept here, one
// fetch in flight at a time covering every partition. The client decodes every record, as a real consumer does.
import { Consumer } from '@platformatic/kafka';
import { errorMessage } from './errors.ts';

export interface ConsumeCatchupOptions {
  bootstrap: string;
  topic: string;
  /** Records the topic is known to hold; the run fails if a different number is read. */
  expectedRecords: number;
  partitionMaxBytes: number;
  fetchMaxBytes: number;
  label: string;
}

export interface ConsumeCatchupResult {
  records: number;
  /** Bytes of record values received. */
  bytes: number;
  fetches: number;
  durationMs: number;
  recordsPerSec: number;
  bytesPerSec: number;
}

const NO_EPOCH = -1;
const FETCH_DEADLINE_MS = 120_000;

export async function runConsumeCatchup(options: ConsumeCatchupOptions): Promise<ConsumeCatchupResult> {
  const consumer = new Consumer({
    clientId: `bench-${options.label}-consumer`,
    // Required by the constructor; never joined (no group APIs are used).
    groupId: `bench-${options.label}-unused`,
    bootstrapBrokers: [options.bootstrap],
    autocreateTopics: false,
    retries: 0,
    timeout: FETCH_DEADLINE_MS,
  });
  try {
    consumer.topics.track(options.topic);
    const metadata = await consumer.metadata({ topics: [options.topic] });
    const topic = metadata.topics.get(options.topic);
    if (!topic) throw new Error(`topic ${options.topic} is not in the metadata`);
    const partitions = topic.partitions.map((p, index) => ({ index, leader: p.leader }));
    const node = partitions[0].leader;
    const next = new Map<number, bigint>(partitions.map((p) => [p.index, 0n]));
    const highWatermark = new Map<number, bigint>(partitions.map((p) => [p.index, -1n]));
    const unfinished = (): number[] =>
      partitions
        .map((p) => p.index)
        .filter((i) => next.get(i)! < highWatermark.get(i)! || highWatermark.get(i)! < 0n);

    let records = 0;
    let bytes = 0;
    let fetches = 0;
    const started = performance.now();
    for (let pending = unfinished(); pending.length > 0; pending = unfinished()) {
      const response = await consumer.fetch({
        node,
        maxWaitTime: 500,
        minBytes: 1,
        maxBytes: options.fetchMaxBytes,
        topics: [
          {
            topicId: topic.id,
            partitions: pending.map((partition) => ({
              partition,
              fetchOffset: next.get(partition)!,
              currentLeaderEpoch: NO_EPOCH,
              lastFetchedEpoch: NO_EPOCH,
              partitionMaxBytes: options.partitionMaxBytes,
            })),
          },
        ],
      });
      fetches++;
      for (const topicResponse of response.responses) {
        for (const partition of topicResponse.partitions) {
          if (partition.errorCode !== 0) {
            throw new Error(
              `fetch of partition ${partition.partitionIndex} failed with error ${partition.errorCode}`,
            );
          }
          highWatermark.set(partition.partitionIndex, partition.highWatermark);
          for (const batch of partition.records ?? []) {
            for (const record of batch.records) bytes += record.value?.length ?? 0;
            records += batch.records.length;
            next.set(partition.partitionIndex, batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n);
          }
        }
      }
    }
    const durationMs = performance.now() - started;
    if (records !== options.expectedRecords) {
      throw new Error(`read ${records} records from ${options.topic}, expected ${options.expectedRecords}`);
    }
    return {
      records,
      bytes,
      fetches,
      durationMs,
      recordsPerSec: records / (durationMs / 1000),
      bytesPerSec: bytes / (durationMs / 1000),
    };
  } catch (err) {
    throw new Error(`consume catch-up on ${options.topic}: ${errorMessage(err)}`, { cause: err });
  } finally {
    await consumer.close();
  }
}
