// The state every handler sees. The broker runs on one event loop that owns all of it, so handlers touch it
// without locks; anything that waits (fsync, long-poll fetch, a rebalance) does so through promises.
import type { Logger } from 'pino';
import type { BrokerConfig } from './config.ts';
import type { GroupCoordinator } from './groups/coordinator.ts';
import type { OffsetStore } from './groups/offset-store.ts';
import type { BrokerFaults } from './faults.ts';
import type { HandlerRegistry } from './handlers/handler.ts';
import type { BrokerMetrics } from './metrics.ts';
import type { Producers } from './producers/producers.ts';
import type { TopicManager } from './topics/topic-manager.ts';
import type { TransactionCoordinator } from './transactions/coordinator.ts';

export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly nodeId: number;
  readonly clusterId: string;
  readonly advertisedHost: string;
  /** The port clients should connect to: the configured advertised port, else the bound one. */
  readonly advertisedPort: number;
  readonly logger: Logger;
  readonly registry: HandlerRegistry;
  readonly metrics: BrokerMetrics;
  readonly topics: TopicManager;
  /** Committed offsets and group metadata, durable (groups/offset-store.ts). */
  readonly offsets: OffsetStore;
  /** The classic consumer-group coordinator (groups/coordinator.ts). */
  readonly groups: GroupCoordinator;
  /** Idempotent producers: sequence windows per partition and the producer id allocator. */
  readonly producers: Producers;
  /** Transactional ids, open transactions, markers, read_committed state (transactions/). */
  readonly transactions: TransactionCoordinator;
  /** Test-only fault hooks (faults.ts); empty unless startBroker was given some. */
  readonly faults: BrokerFaults;
  /** Aborted when the broker starts shutting down: long polls answer at once instead of waiting. */
  readonly shutdown: AbortSignal;
}
