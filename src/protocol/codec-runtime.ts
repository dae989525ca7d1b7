// Helpers the generated message modules call. They stay small and monomorphic so the generated
// encoders and decoders remain straight-line code; anything per-field lives in the generated files.
import { ProtocolDecodeError } from './decode-error.ts';
import { ProtocolEncodeError } from './encode-error.ts';
import type { Reader, UnknownTag } from './reader.ts';
import type { Writer } from './writer.ts';

export { sortTags } from './writer.ts';

/** Shared zero-length default for bytes fields (nothing can be written into it). */
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

type ElementReader<T> = (r: Reader, version: number) => T;

/**
 * Reads `count` elements (count comes from arrayLength/compactArrayLength, already checked against
 * the bytes remaining; -1 means null). With a requiredPath, null is an error naming that field.
 * Elements are pushed rather than preallocated so memory grows only with what actually decodes.
 */
export function readArray<T>(
  r: Reader,
  count: number,
  read: ElementReader<T>,
  version: number,
  requiredPath: string,
): T[];
export function readArray<T>(
  r: Reader,
  count: number,
  read: ElementReader<T>,
  version: number,
  requiredPath: null,
): T[] | null;
export function readArray<T>(
  r: Reader,
  count: number,
  read: ElementReader<T>,
  version: number,
  requiredPath: string | null,
): T[] | null;
export function readArray<T>(
  r: Reader,
  count: number,
  read: ElementReader<T>,
  version: number,
  requiredPath: string | null,
): T[] | null {
  if (count < 0) {
    if (requiredPath === null) return null;
    throw new ProtocolDecodeError(
      `non-nullable array ${requiredPath} is null (before offset ${r.offset})`,
      r.offset,
    );
  }
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(read(r, version));
  return out;
}

export const readInt8Element = (r: Reader): number => r.int8();
export const readInt16Element = (r: Reader): number => r.int16();
export const readInt32Element = (r: Reader): number => r.int32();
export const readInt64Element = (r: Reader): bigint => r.int64();
export const readUint16Element = (r: Reader): number => r.uint16();
export const readUint32Element = (r: Reader): number => r.uint32();
export const readFloat64Element = (r: Reader): number => r.float64();
export const readBoolElement = (r: Reader): boolean => r.bool();
export const readUuidElement = (r: Reader): string => r.uuid();
export const readStringElement = (r: Reader): string => r.string('array element');
export const readCompactStringElement = (r: Reader): string => r.compactString('array element');
export const readBytesElement = (r: Reader): Buffer => r.bytes('array element');
export const readCompactBytesElement = (r: Reader): Buffer => r.compactBytes('array element');

/** Thrown (as an expression: `m.x ?? nullField(...)`) when a non-nullable field holds null. */
export function nullField(message: string, version: number, path: string): never {
  throw new ProtocolEncodeError('null is not allowed (the field is not nullable in this version)', {
    message,
    version,
    path,
  });
}

/** Writes the unknown tags from index `from` whose tag is below `limit`; returns the next index. */
export function writeTagsBelow(w: Writer, tags: readonly UnknownTag[], from: number, limit: number): number {
  let i = from;
  while (i < tags.length && tags[i].tag < limit) w.rawTaggedField(tags[i++]);
  return i;
}

function versionOk(version: number, min: number, max: number): boolean {
  return Number.isInteger(version) && version >= min && version <= max;
}

export function checkEncodeVersion(message: string, version: number, min: number, max: number): void {
  if (versionOk(version, min, max)) return;
  throw new ProtocolEncodeError(`version ${version} is not defined (versions ${min}-${max})`, { message });
}

export function checkDecodeVersion(
  r: Reader,
  message: string,
  version: number,
  min: number,
  max: number,
): void {
  if (versionOk(version, min, max)) return;
  throw new ProtocolDecodeError(
    `cannot decode ${message} v${version}: defined versions are ${min}-${max}`,
    r.offset,
  );
}

/** Adds which message and version was being decoded to a decode error from deeper down. */
export function decodeContext(err: unknown, message: string, version: number): unknown {
  if (!(err instanceof ProtocolDecodeError)) return err;
  return new ProtocolDecodeError(`decoding ${message} v${version}: ${err.message}`, err.offset, {
    cause: err,
  });
}

/** Adds the message and version to an encode error raised by the Writer, which knows neither. */
export function encodeContext(err: unknown, message: string, version: number): unknown {
  if (!(err instanceof ProtocolEncodeError) || err.messageName !== undefined) return err;
  return new ProtocolEncodeError(err.reason, { message, version, path: err.path });
}
