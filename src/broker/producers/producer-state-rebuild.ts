// Rebuilding producer state when the broker starts, so that a retry sent across a broker restart is
// still recognised as one. Per partition:
// - the clean-shutdown snapshot, if it describes a point of this log that is still there and inside the
//   active segment (log start <= its end offset <= log end, and >= the active segment's base); a snapshot
//   from before the last segment roll is not used, since the batches between it and the active segment
//   would be missed;
// - then the headers of the active segment's batches from that point (from the segment start without a
//   usable snapshot: after a crash), replayed in order. Recovery has just read that whole segment to
//   check it, so this header walk adds little to startup.
// Producers whose last batches are older than both (idle across a segment roll and a crash) are not
// remembered: their next batch is accepted with any sequence, as for a new producer.
import type { Logger } from 'pino';
import type { TopicManager } from '../topics/topic-manager.ts';
import type { PartitionSnapshot } from './producer-snapshot.ts';
import { partitionKey, type ProducerStateManager } from './producer-state-manager.ts';

export interface RebuildResult {
  /** The largest producer id found (-1 if none): new ids start above it. */
  maxProducerId: bigint;
  partitionsFromSnapshot: number;
  batchesReplayed: number;
}

export async function rebuildProducerState(
  manager: ProducerStateManager,
  topics: TopicManager,
  snapshot: ReadonlyMap<string, PartitionSnapshot>,
  logger: Logger,
  nowMs: number,
): Promise<RebuildResult> {
  const result: RebuildResult = { maxProducerId: -1n, partitionsFromSnapshot: 0, batchesReplayed: 0 };
  const seen = (id: bigint): void => {
    if (id > result.maxProducerId) result.maxProducerId = id;
  };
  for (const snap of snapshot.values()) for (const id of snap.producers.keys()) seen(id);

  for (const topic of topics.list()) {
    for (const partition of topic.partitions) {
      const key = partitionKey(topic.id, partition.index);
      const log = partition.log;
      const { segmentBaseOffset, headers } = log.activeSegmentBatchHeaders();
      let from = segmentBaseOffset;
      const snap = snapshot.get(key);
      if (
        snap &&
        snap.endOffset >= segmentBaseOffset &&
        snap.endOffset >= log.logStartOffset &&
        snap.endOffset <= log.logEndOffset
      ) {
        for (const [id, window] of snap.producers) {
          if (nowMs - window.lastSeenMs <= manager.expirationMs) manager.restore(key, id, window);
        }
        from = snap.endOffset;
        result.partitionsFromSnapshot += 1;
      }
      try {
        for await (const h of headers) {
          if (h.lastOffset < from || h.isControl || h.producerId < 0n) continue;
          seen(h.producerId);
          manager.replay(key, h, nowMs);
          result.batchesReplayed += 1;
        }
      } catch (err) {
        // The state is an aid to deduplication, not data: keep what was read and start anyway.
        logger.warn(
          { topic: topic.name, partition: partition.index, err },
          'could not read the log tail to rebuild idempotent producer state',
        );
      }
    }
  }
  return result;
}
