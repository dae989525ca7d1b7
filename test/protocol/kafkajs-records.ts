// kafkajs 2.2.4's own record-batch encoder and decoder (required straight from its sources), with
// snappy, LZ4 and zstd codecs registered from implementations other than ours (platformatic's wasm
// codecs, node:zlib), so that cross-checks never compare our codecs with themselves.
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { platformatic } from './platformatic-codecs.ts';

const require = createRequire(import.meta.url);

interface KafkajsEncoder {
  buffer: Buffer;
}
interface KafkajsCodec {
  compress(encoder: KafkajsEncoder): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

export interface KafkajsRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null | (Buffer | null)[]>;
  isControlRecord: boolean;
}
export interface KafkajsBatch {
  firstOffset: string;
  inTransaction: boolean;
  isControlBatch: boolean;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  records: KafkajsRecord[];
}
export interface KafkajsRecordInput {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer>;
}

const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buf: Buffer) => unknown;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  d: unknown,
) => Promise<KafkajsBatch>;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (opts: Record<string, unknown>) => Promise<KafkajsEncoder>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (
  r: KafkajsRecordInput,
) => unknown;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: string | number): unknown };
const { CompressionCodecs, CompressionTypes } = require('kafkajs') as {
  CompressionCodecs: Record<number, () => KafkajsCodec>;
  CompressionTypes: Record<string, number>;
};

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

CompressionCodecs[CompressionTypes.Snappy] = () => ({
  // kafkajs-snappy writes raw snappy and reads both framings; so does this.
  compress: (e) => Promise.resolve(platformatic.snappyCompress(e.buffer)),
  decompress: (b) => {
    if (!b.subarray(0, 8).equals(XERIAL_MAGIC)) return Promise.resolve(platformatic.snappyDecompress(b));
    const out: Buffer[] = [];
    for (let pos = 16; pos < b.length; pos += 4 + b.readUInt32BE(pos)) {
      out.push(platformatic.snappyDecompress(b.subarray(pos + 4, pos + 4 + b.readUInt32BE(pos))));
    }
    return Promise.resolve(Buffer.concat(out));
  },
});
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  compress: (e) => Promise.resolve(platformatic.lz4Compress(e.buffer)),
  decompress: (b) => Promise.resolve(platformatic.lz4Decompress(b)),
});
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  compress: (e) => Promise.resolve(zlib.zstdCompressSync(e.buffer)),
  decompress: (b) => Promise.resolve(zlib.zstdDecompressSync(b)),
});

/** Decodes one batch with kafkajs's decoder (as its Fetch response parser does). */
export function kafkajsDecode(batch: Buffer): Promise<KafkajsBatch> {
  return decodeBatch(new Decoder(batch));
}

export interface KafkajsEncodeOptions {
  compression: number;
  firstOffset: bigint;
  firstTimestamp: bigint;
  maxTimestamp: bigint;
  lastOffsetDelta: number;
  transactional?: boolean;
  producerId?: bigint;
  producerEpoch?: number;
  firstSequence?: number;
  records: KafkajsRecordInput[];
}

/** Encodes one batch with kafkajs's encoder (as its producer does). */
export async function kafkajsEncode(o: KafkajsEncodeOptions): Promise<Buffer> {
  const enc = await RecordBatch({
    compression: o.compression,
    firstOffset: Long.fromValue(o.firstOffset.toString()),
    firstTimestamp: Long.fromValue(o.firstTimestamp.toString()),
    maxTimestamp: Long.fromValue(o.maxTimestamp.toString()),
    lastOffsetDelta: o.lastOffsetDelta,
    transactional: o.transactional ?? false,
    producerId: Long.fromValue((o.producerId ?? -1n).toString()),
    producerEpoch: o.producerEpoch ?? 0,
    firstSequence: o.firstSequence ?? 0,
    records: o.records.map(Record),
  });
  return enc.buffer;
}

export const KAFKAJS_CODEC_IDS: Record<string, number> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};
