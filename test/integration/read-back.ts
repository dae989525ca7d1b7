// Reading a partition back over the wire with Sluice's own codec (Fetch v11 to the partition's leader, which
// both targets serve), so a test sees exactly what the broker stored, whichever client wrote it.
import { ZERO_UUID } from '../../src/protocol/codec-runtime.ts';
import { decodeRecords, splitBatches } from '../../src/protocol/record-batch.ts';
import { FetchApi } from '../../src/protocol/messages/index.ts';
import { firstAddress } from '../helpers/kafka-cluster.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { requestMetadata } from '../../scripts/kafka/request.ts';

export interface StoredRecord {
  offset: bigint;
  key: string | null;
  value: string | null;
  timestamp: bigint;
  headers: string[];
}

/** Every record of one partition from `fromOffset` on, as the partition's leader returns it. */
export async function readPartition(
  bootstrap: string,
  topic: string,
  partition = 0,
  fromOffset = 0n,
): Promise<StoredRecord[]> {
  const first = firstAddress(bootstrap);
  const md = await requestMetadata(first.host, first.port, [topic]);
  const leaderId = md.topics[0]?.partitions.find((p) => p.partitionIndex === partition)?.leaderId;
  const leader = md.brokers.find((b) => b.nodeId === leaderId);
  if (!leader) throw new Error(`no leader for ${topic}/${partition} in ${JSON.stringify(md.topics)}`);
  const client = await RawClient.connect(leader.port, leader.host);
  try {
    const res = await client.request(FetchApi, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 50 * 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          topicId: ZERO_UUID,
          partitions: [
            {
              partition,
              currentLeaderEpoch: -1,
              fetchOffset: fromOffset,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: 10 * 1024 * 1024,
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    });
    const data = res.responses[0].partitions[0];
    if (data.errorCode !== 0)
      throw new Error(`fetch of ${topic}/${partition} failed with error ${data.errorCode}`);
    const buf = data.records ?? Buffer.alloc(0);
    return [...splitBatches(buf)].flatMap(({ offset }) =>
      decodeRecords(buf, offset)
        .filter((r) => r.offset >= fromOffset)
        .map((r) => ({
          offset: r.offset,
          key: r.key?.toString() ?? null,
          value: r.value?.toString() ?? null,
          timestamp: r.timestamp,
          headers: r.headers.map((h) => `${h.key}=${h.value?.toString() ?? ''}`),
        })),
    );
  } finally {
    client.close();
  }
}
