// The broker's idempotent-producer subsystem as the handlers see it (BrokerContext.producers): the
// per-partition sequence windows and the producer id allocator. Opening it rebuilds the windows (snapshot
// plus log tail) and finds where ids continue; a timer forgets idle producers; closing it, after the
// logs have been closed, writes the snapshot the next start reads.
import type { Logger } from 'pino';
import type { LogFs } from '../log/index.ts';
import type { TopicManager } from '../topics/topic-manager.ts';
import { ProducerIdAllocator } from './producer-id-allocator.ts';
import { readProducerSnapshot, snapshotOf, writeProducerSnapshot } from './producer-snapshot.ts';
import type { PartitionSnapshot } from './producer-snapshot.ts';
import { rebuildProducerState } from './producer-state-rebuild.ts';
import { ProducerStateManager, partitionKey } from './producer-state-manager.ts';

export interface ProducersOptions {
  readonly fs: LogFs;
  readonly dataDir: string;
  readonly topics: TopicManager;
  /** Producers idle longer than this are forgotten (Kafka's producer.id.expiration.ms). */
  readonly expirationMs: number;
  readonly logger: Logger;
}

/** Kafka checks for expired producers every 10 minutes (producer.id.expiration.check.interval.ms). */
const MAX_EXPIRY_CHECK_INTERVAL_MS = 10 * 60 * 1000;

export class Producers {
  readonly state: ProducerStateManager;
  readonly ids: ProducerIdAllocator;
  readonly #options: ProducersOptions;
  readonly #sweep: NodeJS.Timeout;
  #closed = false;

  private constructor(options: ProducersOptions, state: ProducerStateManager, ids: ProducerIdAllocator) {
    this.#options = options;
    this.state = state;
    this.ids = ids;
    const every = Math.max(1000, Math.min(options.expirationMs, MAX_EXPIRY_CHECK_INTERVAL_MS));
    this.#sweep = setInterval(() => {
      const removed = state.expire();
      if (removed > 0) options.logger.debug({ removed }, 'forgot idle idempotent producers');
    }, every);
    this.#sweep.unref();
  }

  static async open(options: ProducersOptions): Promise<Producers> {
    const { fs, dataDir, topics, logger } = options;
    const state = new ProducerStateManager({ expirationMs: options.expirationMs });
    let snapshot = new Map<string, PartitionSnapshot>();
    try {
      snapshot = await readProducerSnapshot(fs, dataDir);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'ignoring the producer state snapshot');
    }
    const rebuilt = await rebuildProducerState(state, topics, snapshot, logger, Date.now());
    if (rebuilt.batchesReplayed > 0 || rebuilt.partitionsFromSnapshot > 0) {
      logger.info({ ...rebuilt, producers: state.size }, 'rebuilt idempotent producer state');
    }
    const ids = await ProducerIdAllocator.open(fs, dataDir, rebuilt.maxProducerId + 1n);
    return new Producers(options, state, ids);
  }

  /**
   * Stops the expiry timer and writes the snapshot. Call after the partition logs are closed, so every
   * append has settled and each log end offset is final.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweep);
    const { fs, dataDir, topics, logger } = this.#options;
    const endOffsets = new Map<string, bigint>();
    for (const topic of topics.list()) {
      for (const p of topic.partitions) {
        if (!p.log.failure) endOffsets.set(partitionKey(topic.id, p.index), p.log.logEndOffset);
      }
    }
    try {
      await writeProducerSnapshot(fs, dataDir, snapshotOf(this.state, endOffsets));
    } catch (err) {
      // Only a weaker deduplication of retries after the restart: the log tail is still scanned.
      logger.warn({ err }, 'could not write the producer state snapshot');
    }
  }
}
