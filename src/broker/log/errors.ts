// Typed errors of the partition log. Each names the Kafka error code a broker should answer with
// (`kafkaError`), so a handler maps them without knowing the log's internals; none is fatal to the process.

export type LogKafkaError =
  | 'KAFKA_STORAGE_ERROR'
  | 'OFFSET_OUT_OF_RANGE'
  | 'CORRUPT_MESSAGE'
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'UNKNOWN_SERVER_ERROR';

export class LogError extends Error {
  readonly kafkaError: LogKafkaError;

  constructor(message: string, kafkaError: LogKafkaError, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.kafkaError = kafkaError;
  }
}

/**
 * A write, fsync or other file operation failed. The log that raised it accepts no more appends until it
 * is reopened (whose recovery then decides what reached the disk); `cause` is the file-system error.
 */
export class StorageError extends LogError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'KAFKA_STORAGE_ERROR', options);
  }
}

/** Where a log found bytes that are not the batch they should be. */
export interface Corruption {
  /** First offset that can no longer be read: reads at or past it fail. */
  offset: bigint;
  /** Base offset of the segment holding the bad bytes. */
  segmentBaseOffset: bigint;
  /** Byte position of the bad batch in that segment's file. */
  position: number;
  reason: string;
}

/** A read reached a batch that fails its CRC or whose header is inconsistent. */
export class CorruptLogError extends LogError {
  readonly corruption: Corruption;

  constructor(dir: string, corruption: Corruption) {
    super(
      `corrupt partition log ${dir}: segment ${corruption.segmentBaseOffset} position ` +
        `${corruption.position} (offset ${corruption.offset}): ${corruption.reason}`,
      'KAFKA_STORAGE_ERROR',
    );
    this.corruption = corruption;
  }
}

/** The requested offset is below the log start offset or above the high watermark. */
export class OffsetOutOfRangeError extends LogError {
  readonly offset: bigint;
  readonly logStartOffset: bigint;
  readonly highWatermark: bigint;

  constructor(offset: bigint, logStartOffset: bigint, highWatermark: bigint) {
    super(`offset ${offset} is out of range [${logStartOffset}, ${highWatermark}]`, 'OFFSET_OUT_OF_RANGE');
    this.offset = offset;
    this.logStartOffset = logStartOffset;
    this.highWatermark = highWatermark;
  }
}

/** append() was given bytes that are not one whole v2 record batch. */
export class InvalidBatchError extends LogError {
  constructor(message: string) {
    super(message, 'CORRUPT_MESSAGE');
  }
}

/** The log was closed or deleted. */
export class LogClosedError extends LogError {
  constructor(dir: string) {
    super(`partition log ${dir} is closed`, 'NOT_LEADER_OR_FOLLOWER');
  }
}

/** The directory holds a log written in an on-disk format this version cannot read. */
export class UnsupportedLogFormatError extends LogError {
  constructor(message: string) {
    super(message, 'KAFKA_STORAGE_ERROR');
  }
}
