// The slice of src/sdk/kafka-client.ts the consumer runner uses. Kept as type-only declarations, identical
// to the interfaces in the SDK's shape, so the runner can be built and unit-tested against a fake bus while
// the client module is written; re-exported from kafka-client.ts once that module exists.
export interface BusConfig {
  bootstrap: string[];
  clientId?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export interface OutgoingRecord {
  topic: string;
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, Buffer>;
  timestamp?: bigint;
}

export interface BusProducer {
  send(records: OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface IncomingRecord {
  topic: string;
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Map<string, Buffer>;
  timestamp: bigint;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** `offset` is the NEXT offset to consume. */
export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface BusConsumerHandlers {
  onBatch(records: IncomingRecord[]): Promise<void>;
  onAssigned?(partitions: TopicPartition[]): Promise<TopicPartitionOffset[] | void>;
  onRevoked?(partitions: TopicPartition[]): Promise<void>;
}

export interface BusConsumer {
  run(handlers: BusConsumerHandlers): Promise<void>;
  commit(offsets: TopicPartitionOffset[]): Promise<void>;
  highWatermarks(): Promise<TopicPartitionOffset[]>;
  close(): Promise<void>;
}

export interface BusConsumerOptions {
  group: string;
  topics: string[];
  fromBeginning?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  isolation?: 'read_committed' | 'read_uncommitted';
}

export interface BusProducerOptions {
  acks: 0 | 1 | -1;
  idempotent: boolean;
}
