// The one error type every decoding failure becomes, so a server can tell "the peer sent garbage"
// (close that connection) from a bug in its own code (anything else).

/** Thrown when bytes cannot be decoded: truncated, lying about a length, or not valid for the version. */
export class ProtocolDecodeError extends Error {
  /** Offset into the buffer being read where the failing read started. */
  readonly offset: number;

  constructor(message: string, offset: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProtocolDecodeError';
    this.offset = offset;
  }
}
