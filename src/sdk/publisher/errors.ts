// Typed errors of the publisher. Bus trouble never surfaces as an exception from publish(): it is the
// breaker's and the buffer's business. These are for bad input and for bounded waits that ran out.

export class PublisherError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An option is missing, of the wrong type or out of range; the message names it. */
export class PublisherOptionsError extends PublisherError {}

/** One record is bigger than the batch or the buffer can ever hold: it could never be sent. */
export class RecordTooLargeError extends PublisherError {
  readonly recordBytes: number;
  readonly limitBytes: number;
  constructor(stream: string, recordBytes: number, limit: string, limitBytes: number) {
    super(`stream ${stream}: a record of ${recordBytes} bytes exceeds ${limit} (${limitBytes} bytes)`);
    this.recordBytes = recordBytes;
    this.limitBytes = limitBytes;
  }
}

/** flush(timeoutMs) ran out before everything buffered was sent. */
export class FlushTimeoutError extends PublisherError {
  readonly remainingRecords: number;
  constructor(stream: string, timeoutMs: number, remainingRecords: number) {
    super(`stream ${stream}: flush timed out after ${timeoutMs} ms with ${remainingRecords} records unsent`);
    this.remainingRecords = remainingRecords;
  }
}

/** A send that neither resolved nor rejected within the publisher's send time-out. */
export class SendTimeoutError extends PublisherError {}
