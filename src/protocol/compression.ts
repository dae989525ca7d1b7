// Kafka record-batch compression codecs (attributes bits 0-2). Synchronous: a batch is at most a few
// MiB, and the callers (batch builder, record decoder) are synchronous.
// gzip and zstd come from node:zlib (zstd needs Node >= 22.15 / 23.8); snappy and LZ4 are
// hand-written in snappy.ts and lz4.ts (see there for the framing each writes and accepts).
import zlib from 'node:zlib';
import { CompressionError, UnsupportedCompressionError } from './compression-errors.ts';
import { lz4CompressFrame, lz4DecompressFrame } from './lz4.ts';
import { snappyCompressXerial, snappyDecompress } from './snappy.ts';

export { CompressionError, UnsupportedCompressionError } from './compression-errors.ts';

export type CompressionCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Codecs by attribute id: COMPRESSION_CODECS[attributes & 0x07]. */
export const COMPRESSION_CODECS: readonly CompressionCodec[] = Object.freeze([
  'none',
  'gzip',
  'snappy',
  'lz4',
  'zstd',
]);

/** Attribute ids by codec. */
export const COMPRESSION_IDS: Readonly<Record<CompressionCodec, number>> = Object.freeze({
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
});

/**
 * Default ceiling on a decompressed batch. Kafka's own limit is on the compressed batch
 * (message.max.bytes, 1 MiB by default); this bounds what a compression bomb can make us allocate.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/** The codec for an attribute id (0..4), or undefined for ids Kafka does not define (5..7). */
export function codecFromId(id: number): CompressionCodec | undefined {
  return COMPRESSION_CODECS[id];
}

export function isCompressionCodec(value: unknown): value is CompressionCodec {
  return typeof value === 'string' && Object.hasOwn(COMPRESSION_IDS, value);
}

const zstdAvailable = typeof zlib.zstdCompressSync === 'function';

/** Whether this runtime can compress and decompress with `codec`. */
export function isCodecAvailable(codec: CompressionCodec): boolean {
  return codec !== 'zstd' || zstdAvailable;
}

function checkCodec(codec: CompressionCodec): void {
  if (!isCompressionCodec(codec)) throw new UnsupportedCompressionError(String(codec));
  if (!isCodecAvailable(codec)) {
    throw new UnsupportedCompressionError(
      codec,
      `${codec} needs a Node.js with zlib zstd support (>= 22.15)`,
    );
  }
}

/** Compresses `data` the way Kafka clients do for record batch v2. */
export function compress(codec: CompressionCodec, data: Buffer): Buffer {
  checkCodec(codec);
  switch (codec) {
    case 'none':
      return data;
    case 'gzip':
      return zlib.gzipSync(data);
    case 'snappy':
      return snappyCompressXerial(data);
    case 'lz4':
      return lz4CompressFrame(data);
    case 'zstd':
      return zlib.zstdCompressSync(data);
  }
}

/**
 * Decompresses `data`. Throws CompressionError ('corrupt' or 'too-large' when the output would exceed
 * maxBytes, checked before allocating it) or UnsupportedCompressionError.
 */
export function decompress(
  codec: CompressionCodec,
  data: Buffer,
  maxBytes = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Buffer {
  checkCodec(codec);
  switch (codec) {
    case 'none':
      if (data.length > maxBytes)
        throw new CompressionError(codec, 'too-large', `${data.length} bytes exceed ${maxBytes}`);
      return data;
    case 'snappy':
      return snappyDecompress(data, maxBytes);
    case 'lz4':
      return lz4DecompressFrame(data, maxBytes);
    case 'gzip':
    case 'zstd':
      try {
        // zlib stops at maxOutputLength (which must be >= 1) instead of allocating the whole output.
        const options = { maxOutputLength: Math.max(1, maxBytes) };
        const out =
          codec === 'gzip' ? zlib.gunzipSync(data, options) : zlib.zstdDecompressSync(data, options);
        if (out.length > maxBytes) throw new RangeError(`${out.length} bytes`);
        return out;
      } catch (err) {
        if (err instanceof RangeError) {
          throw new CompressionError(codec, 'too-large', `output exceeds ${maxBytes} bytes`, { cause: err });
        }
        const message = err instanceof Error ? err.message : String(err);
        throw new CompressionError(codec, 'corrupt', message, { cause: err });
      }
  }
}
