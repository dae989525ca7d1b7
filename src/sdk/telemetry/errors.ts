// The SDK's typed errors for telemetry. Callers branch on the class and read the fields; the message is
// for people and always names what was wrong and where.

/** Bad input at a telemetry call site: thrown synchronously, before anything is buffered or sent. */
export class TelemetryValidationError extends Error {
  override readonly name = 'TelemetryValidationError';
  /** The argument at fault, as a path: `name`, `value`, `attributes.route`, `payload.items[2]`. */
  readonly argument: string;
  /** What is wrong with it, without the argument's name. */
  readonly reason: string;

  constructor(call: string, argument: string, reason: string) {
    super(`${call}: argument ${argument} ${reason}`);
    this.argument = argument;
    this.reason = reason;
  }
}

/** createTelemetry given options it cannot work with, or a call on a stream that was not configured. */
export class TelemetryConfigError extends Error {
  override readonly name = 'TelemetryConfigError';
}

/**
 * Why a record is not an envelope this decoder can use:
 * - `not-json`: the bytes are not UTF-8 JSON;
 * - `schema`: JSON that breaks the v1 schema at `path`;
 * - `unsupported-version`: `v` is a later version than this decoder knows (skip it, do not crash);
 * - `unsupported-kind`: a v1 envelope of a kind or metric type added after this decoder (skip it).
 */
export type EnvelopeDecodeErrorCode = 'not-json' | 'schema' | 'unsupported-version' | 'unsupported-kind';

/** A record that is not a valid envelope: not JSON, or JSON that breaks the schema at `path`. */
export class EnvelopeDecodeError extends Error {
  override readonly name = 'EnvelopeDecodeError';
  readonly code: EnvelopeDecodeErrorCode;
  /** JSON path of the offending field (`$` for the whole record, `$.data.counts[3]`, ...). */
  readonly path: string;
  readonly reason: string;

  constructor(code: EnvelopeDecodeErrorCode, path: string, reason: string) {
    super(`invalid telemetry envelope at ${path}: ${reason}`);
    this.code = code;
    this.path = path;
    this.reason = reason;
  }
}
