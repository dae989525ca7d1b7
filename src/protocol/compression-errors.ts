// Errors of the compression codecs, in their own module so that the codec implementations
// (snappy.ts, lz4.ts) and the dispatcher (compression.ts) can share them without an import cycle.

/** Thrown when compressed data cannot be decoded ('corrupt') or would exceed the size limit ('too-large'). */
export class CompressionError extends Error {
  override name = 'CompressionError';
  readonly codec: string;
  readonly reason: 'corrupt' | 'too-large';
  constructor(codec: string, reason: 'corrupt' | 'too-large', message: string, options?: ErrorOptions) {
    super(`${codec}: ${message}`, options);
    this.codec = codec;
    this.reason = reason;
  }
}

/** Thrown for a codec this build cannot handle (an attribute id > 4, or a codec missing at run time). */
export class UnsupportedCompressionError extends Error {
  override name = 'UnsupportedCompressionError';
  readonly codec: string;
  constructor(codec: string, message = `unsupported compression codec: ${codec}`) {
    super(message);
    this.codec = codec;
  }
}
