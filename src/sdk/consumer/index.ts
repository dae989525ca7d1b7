// The consumer side of the SDK: consume() with an explicit delivery semantic, and the sinks for
// effectively-once.
export { consume } from './runner.ts';
export { DLQ_HEADERS } from './dead-letter.ts';
export { LAG_RECORDS, LAG_SECONDS } from './lag.ts';
export { DEFAULT_OFFSETS_TABLE } from './sql.ts';
export { sqliteSink, SqliteSink, type SqliteSinkOptions } from './sqlite-sink.ts';
export { postgresSink, PostgresSink, type PostgresSinkOptions } from './postgres-sink.ts';
export {
  kafkaTransactionSink,
  KafkaTransactionSink,
  type KafkaTransactionContext,
  type KafkaTransactionSinkOptions,
} from './kafka-transaction-sink.ts';
export {
  ConsumerConfigError,
  NonRetriableError,
  SinkError,
  type ConsumeOptions,
  type ConsumerHandle,
  type ConsumerLogger,
  type HandlerContext,
  type PartitionLag,
  type RecordHandler,
  type RetryOptions,
  type Semantics,
  type SinkTransaction,
  type TransactionalSink,
} from './types.ts';
