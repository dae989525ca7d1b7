// What a bus consumer delivers and takes: records, offsets, the handlers of run() and the options.
export interface IncomingRecord {
  topic: string;
  partition: number;
  offset: bigint;
  key: Buffer | null;
  /** null for a tombstone. */
  value: Buffer | null;
  headers: Map<string, Buffer>;
  /** Milliseconds since the epoch. */
  timestamp: bigint;
}

/** `offset` is the NEXT offset to consume (what a commit stores). */
export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface BusConsumerHandlers {
  /**
   * Records of one partition, in offset order. The next batch of that partition waits for the returned
   * promise (other partitions go on meanwhile, up to `maxBufferedRecords` held in memory in all). A
   * rejection is fatal: the consumer stops and `run()` rejects with that error — retry inside the handler.
   */
  onBatch(records: IncomingRecord[]): Promise<void>;
  /**
   * Partitions newly assigned to this member, before anything of them is delivered. Return start offsets
   * (e.g. read from a sink, for effectively-once) for any of them; the others start at the group's
   * committed offset, or, without one, at the earliest (`fromBeginning`) or the latest offset.
   */
  onAssigned?(partitions: TopicPartition[]): Promise<TopicPartitionOffset[] | void>;
  /**
   * Partitions this member no longer owns, after their in-flight batch finished; also every partition on
   * close(), while commits still work. With the classic (eager) group protocol this runs once the new
   * assignment is known, so another member may already be reading them: commits may then fail.
   */
  onRevoked?(partitions: TopicPartition[]): Promise<void>;
}

export interface BusConsumer {
  /**
   * Joins the group and delivers until close() (resolves then) or a fatal failure (rejects: a BusError for
   * the bus, or onBatch's own error). Partitions kept across a rebalance continue where they were.
   */
  run(handlers: BusConsumerHandlers): Promise<void>;
  /** Manual commits only (there is no autocommit). Rejects with a BusError (retriable during rebalances). */
  commit(offsets: TopicPartitionOffset[]): Promise<void>;
  /** High watermark of every partition of the subscribed topics (last stable offset under read_committed). */
  highWatermarks(): Promise<TopicPartitionOffset[]>;
  /** Stops delivering, waits for the batches in flight, calls onRevoked, leaves the group. Idempotent. */
  close(): Promise<void>;
}

export interface BusConsumerOptions {
  group: string;
  topics: string[];
  /** Where a partition without a committed offset starts: earliest (true) or latest (default). */
  fromBeginning?: boolean;
  /** Default 10000 ms (Apache Kafka refuses less than 6000 by default). */
  sessionTimeoutMs?: number;
  /** Default 1000 ms. */
  heartbeatIntervalMs?: number;
  /** How long the group waits for members to rejoin in a rebalance (default: sessionTimeoutMs). */
  rebalanceTimeoutMs?: number;
  /** Default read_uncommitted (Kafka's default). */
  isolation?: 'read_committed' | 'read_uncommitted';
  /** Largest batch handed to onBatch (default 500 records). */
  maxBatchRecords?: number;
  /** Fetching pauses while this many records wait for their handler (default 5000). */
  maxBufferedRecords?: number;
  /**
   * Upper bound of one fetch response, shared by its partitions (default 256 KiB; a single record batch
   * larger than it still comes whole). Every record fetched is decoded at once, however many are buffered.
   */
  maxFetchBytes?: number;
  /**
   * Static membership (KIP-345): a member restarted with the same id gets its partitions back without a
   * rebalance or waiting for the session timeout. Unique per member of the group; no whitespace.
   */
  groupInstanceId?: string;
}
