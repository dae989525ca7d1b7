// Encoding a value that cannot be represented (a null where the version forbids it, a string too long
// for its length prefix, a malformed UUID) throws this instead of writing bytes a peer would misread.

export interface EncodeErrorContext {
  /** Message being encoded, e.g. "ProduceRequest". */
  readonly message?: string;
  readonly version?: number;
  /** Where in the message, e.g. "topicData[].name". */
  readonly path?: string;
}

export class ProtocolEncodeError extends Error {
  /** What is wrong, without the message/version/field prefix. */
  readonly reason: string;
  readonly messageName: string | undefined;
  readonly version: number | undefined;
  readonly path: string | undefined;

  constructor(reason: string, context: EncodeErrorContext = {}) {
    // "MetadataRequest v0, field topics: <reason>"
    const where = [
      context.message ?? '',
      context.version === undefined ? '' : ` v${context.version}`,
      context.path === undefined ? '' : `, field ${context.path}`,
    ]
      .join('')
      .replace(/^, /, '');
    super(where === '' ? reason : `${where}: ${reason}`);
    this.name = 'ProtocolEncodeError';
    this.reason = reason;
    this.messageName = context.message;
    this.version = context.version;
    this.path = context.path;
  }
}
