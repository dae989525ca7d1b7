// Typed errors of the offset store. Each carries the Kafka error code a group handler should answer with
// (`errorCode`), so handlers map them without knowing the store's internals.
import { ErrorCode } from '../../../protocol/error-codes.ts';

export class OffsetStoreError extends Error {
  readonly errorCode: number;

  constructor(message: string, errorCode: number, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.errorCode = errorCode;
  }
}

/**
 * A write or fsync of the store's file failed: the change was not acknowledged (it may or may not be on disk).
 * NOT_COORDINATOR, as Kafka answers when its offsets log fails: clients look the coordinator up again and
 * retry. The store heals by rewriting its acknowledged state into a fresh file before the next change.
 */
export class OffsetStoreStorageError extends OffsetStoreError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ErrorCode.NOT_COORDINATOR, options);
  }
}

/** The store was closed (the broker is shutting down). Retriable: clients will find the next broker. */
export class OffsetStoreClosedError extends OffsetStoreError {
  constructor(path: string) {
    super(`offset store ${path} is closed`, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  }
}

/**
 * One change would make an entry larger than the format allows (MAX_ENTRY_BYTES). For offsets Kafka answers
 * INVALID_COMMIT_OFFSET_SIZE; for group metadata UNKNOWN_SERVER_ERROR.
 */
export class OffsetStoreEntryTooLargeError extends OffsetStoreError {
  constructor(message: string, errorCode: number) {
    super(message, errorCode);
  }
}

/** Opening found a file this code cannot read (damaged header, another format, a newer version). */
export class OffsetStoreFormatError extends OffsetStoreError {
  constructor(message: string) {
    super(message, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  }
}
