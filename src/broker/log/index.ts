// The partition log's public surface: the log itself, its fs seam and its errors.
export { PartitionLog } from './partition-log.ts';
export type {
  AppendOptions,
  AppendResult,
  Durability,
  PartitionLogOptions,
  ReadResult,
  RetentionResult,
  TimestampOffset,
} from './partition-log.ts';
export type { RetentionPolicy } from './retention.ts';
export type { StoredBatchHeader } from './batch-headers.ts';
export { NodeLogFs } from './fs.ts';
export type { FileStat, LogFile, LogFs, OpenMode } from './fs.ts';
export {
  CorruptLogError,
  InvalidBatchError,
  LogClosedError,
  LogError,
  OffsetOutOfRangeError,
  StorageError,
  UnsupportedLogFormatError,
} from './errors.ts';
export type { Corruption, LogKafkaError } from './errors.ts';
export type { LogLogger } from './logger.ts';
export { LOG_FORMAT_VERSION } from './checkpoint.ts';
export { partitionDirName } from './paths.ts';
