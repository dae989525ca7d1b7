// Sealed batches read back as records: for a bus producer that only takes records (send()), and to split a
// batch sealed before the topic's partition count was known (partition -1) into one batch per partition.
import type { CompressionCodec } from '../../protocol/compression.ts';
import { decodeRecords } from '../../protocol/record-batch.ts';
import type { SealedBatch } from '../kafka-client.ts';
import { keyPartition } from './murmur2.ts';
import { completeChecksum } from '../batch-sender.ts';
import { OpenBatch } from './open-batch.ts';
import { measure, newMeasure } from './record-encoding.ts';
import type { BufferedRecord } from './store.ts';

export function batchRecords(batch: SealedBatch): BufferedRecord[] {
  completeChecksum(batch);
  return decodeRecords(batch.bytes, 0).map((r) => ({
    key: r.key && Buffer.from(r.key),
    value: Buffer.from(r.value ?? Buffer.alloc(0)),
    headers: Object.fromEntries(r.headers.map((h) => [h.key, Buffer.from(h.value ?? Buffer.alloc(0))])),
    timestamp: r.timestamp,
  }));
}

/**
 * One batch per partition, records in their original order within each; keyless records all go to one
 * partition picked at random (as the publisher's sticky partitioner does for the batches it seals).
 */
export function splitBatch(batch: SealedBatch, partitions: number, codec: CompressionCodec): SealedBatch[] {
  const open = new Map<number, OpenBatch>();
  const m = newMeasure();
  const keyless = Math.floor(Math.random() * partitions);
  for (const r of batchRecords(batch)) {
    const partition = r.key === null ? keyless : keyPartition(r.key, partitions);
    measure(r, m, 0);
    let b = open.get(partition);
    if (b === undefined) {
      b = new OpenBatch(partition, batch.bytes.length * 2);
      open.set(partition, b);
    }
    const size = b.sizeOf(m);
    if (b.size + size > b.capacity) b.grow(Math.max(b.capacity * 2, b.size + size));
    b.append(r, m);
  }
  return [...open.values()].map((b) => b.seal(codec));
}
