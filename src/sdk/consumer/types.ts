// The consumer runner's public types: options of consume(), the handler's context, the transactional sink
// contract (what effectively-once needs from a database), and the typed errors.
import type { Registry } from 'prom-client';
import type {
  BusConfig,
  BusConsumer,
  BusConsumerOptions,
  BusProducer,
  BusProducerOptions,
  IncomingRecord,
  TopicPartition,
  TopicPartitionOffset,
} from './bus.ts';

export type Semantics = 'at-most-once' | 'at-least-once' | 'effectively-once';

export interface RetryOptions {
  /** Total attempts per record, the first included (default 3; 1 = no retry). */
  attempts?: number;
  /** Delay before the second attempt (default 100 ms); doubles per attempt up to maxDelayMs. */
  initialDelayMs?: number;
  /** Cap of the delay between attempts (default 10 s). */
  maxDelayMs?: number;
}

export interface HandlerContext<Tx> {
  /** 1 for the first delivery to the handler, then 2, 3, ... on retries. */
  attempt: number;
  /**
   * effectively-once: the sink's transaction (a node:sqlite DatabaseSync, a pg client, ...). Writes made
   * through it commit together with the consumed offset, or not at all. undefined for the other semantics.
   */
  tx: Tx;
}

export type RecordHandler<Tx> = (record: IncomingRecord, context: HandlerContext<Tx>) => Promise<void> | void;

/** One open database transaction of a sink (see TransactionalSink.transaction). */
export interface SinkTransaction<Tx> {
  /** What the handler receives as `context.tx`. */
  readonly context: Tx;
  /** Savepoints let a failed attempt of one record be undone without losing the records before it. */
  savepoint(name: string): Promise<void>;
  rollbackTo(name: string): Promise<void>;
  release(name: string): Promise<void>;
  /** Upserts the next offsets of `group` inside this transaction. */
  storeOffsets(group: string, offsets: TopicPartitionOffset[]): Promise<void>;
}

/**
 * A database that can hold a handler's writes and the consumed offsets in one transaction. Offsets are kept
 * in a table (default `sluice_consumer_offsets`: consumer_group, topic, partition, next_offset) and read
 * back on assignment, so the database, not the consumer group, says where to resume.
 */
export interface TransactionalSink<Tx> {
  readonly kind: string;
  /** Creates the offsets table when missing. Idempotent. */
  init(): Promise<void>;
  /** The stored next offsets of `group` for those of `partitions` that have one. */
  readOffsets(group: string, partitions: TopicPartition[]): Promise<TopicPartitionOffset[]>;
  /** Runs `work` in one transaction: commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (tx: SinkTransaction<Tx>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface ConsumerLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

interface CommonOptions {
  bus: BusConfig;
  topic: string;
  group: string;
  retry?: RetryOptions;
  /** Where a record goes after its last failed attempt. Without it such a record is logged, counted and skipped. */
  deadLetterTopic?: string;
  /** Start from the earliest offset when the group (or sink) has none (default true). */
  fromBeginning?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Static group membership: a restarted member with the same id resumes its partitions at once. */
  groupInstanceId?: string;
  /**
   * Upper bound of one fetch response in bytes (default 256 KiB; a single record batch larger than it still
   * comes whole). Higher catches up a backlog in fewer round trips; lower keeps what a restarted consumer
   * decodes at once small.
   */
  maxFetchBytes?: number;
  /** How often lag gauges are refreshed from the high watermarks (default 5 s; 0 = only on lag()). */
  lagIntervalMs?: number;
  /** prom-client registry for the lag and failure metrics (default: prom-client's global registry). */
  metrics?: Registry;
  logger?: ConsumerLogger;
  /** Seams for tests; default the real client of src/sdk/kafka-client.ts. */
  createConsumer?: (bus: BusConfig, options: BusConsumerOptions) => BusConsumer;
  createProducer?: (bus: BusConfig, options: BusProducerOptions) => BusProducer;
  /** Seam for tests: how the runner waits between attempts (default setTimeout, cut short by stop()). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Seam for tests: wall clock in ms, for lag in seconds (default Date.now). */
  now?: () => number;
}

export type ConsumeOptions<Tx = unknown> = CommonOptions &
  (
    | { semantics: 'at-most-once' | 'at-least-once'; handler: RecordHandler<undefined>; sink?: undefined }
    | { semantics: 'effectively-once'; handler: RecordHandler<Tx>; sink: TransactionalSink<Tx> }
  );

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Next offset this consumer will handle. */
  position: bigint;
  highWatermark: bigint;
  /** highWatermark - position (0 when caught up). */
  records: bigint;
  /**
   * Age of the oldest record fetched but not yet handled; when none is fetched yet but the partition lags,
   * the age of the last handled record (the next one is younger, so this is an upper bound). 0 when caught up.
   */
  seconds: number;
}

export interface ConsumerHandle {
  /** Finishes the handler in flight, commits what was handled, leaves the group. Idempotent. */
  stop(): Promise<void>;
  /** Lag per assigned partition, from fresh high watermarks. */
  lag(): Promise<PartitionLag[]>;
  /** Settles when the consumer has stopped: rejects when it stopped on a fatal error (bus or sink). */
  readonly done: Promise<void>;
}

/** consume() was given options it cannot run with. */
export class ConsumerConfigError extends Error {
  override readonly name = 'ConsumerConfigError';
}

/** A handler throws this for a record that no retry can fix (e.g. not JSON): it is dead-lettered at once. */
export class NonRetriableError extends Error {
  override readonly name = 'NonRetriableError';
}

/** A sink was given options it cannot use, or its database refused the offsets table. */
export class SinkError extends Error {
  override readonly name = 'SinkError';
}
