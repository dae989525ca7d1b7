// Sends sealed record batches (SealedBatch) as they are: one Produce request per batch, encoded with our own
// protocol codec, over our own broker connections (kafka/broker-connection.ts: the batch goes to the socket
// uncopied, in the Produce version the broker and we both speak, v3-v11). With idempotence,
// each batch is stamped once with the producer id, epoch and the partition's next sequence (then its CRC is
// recomputed: those fields are inside it), and a retry carries the same stamp, so a batch the broker already
// has comes back DUPLICATE_SEQUENCE_NUMBER and counts as delivered. When the broker has lost our producer
// state (UNKNOWN_PRODUCER_ID, OUT_OF_ORDER_SEQUENCE_NUMBER after a batch that never arrived or was dropped
// from the buffer, INVALID_PRODUCER_EPOCH), a new producer id is taken and every batch not yet acknowledged
// is stamped again from sequence 0 when it is sent next.
import { ErrorCode, errorName, isRetriable } from '../protocol/error-codes.ts';
import {
  encodeProduceRequest,
  decodeProduceResponse,
  type ProduceResponse,
} from '../protocol/messages/produce.ts';
import {
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  writeBatchCrc,
} from '../protocol/record-batch.ts';
import type { Reader } from '../protocol/reader.ts';
import { Writer } from '../protocol/writer.ts';
import type { SealedBatch } from './kafka-client.ts';

const PRODUCE_API_KEY = 0;
const MAX_SEQUENCE = 0x7fffffff;

export interface Broker {
  host: string;
  port: number;
}

export interface TopicLayout {
  partitions: number;
  leader(partition: number): Broker | undefined;
}

/** A connection to one broker (kafka/broker-connection.ts). */
export interface ProduceConnection {
  /** The Produce version negotiated with the broker. */
  readonly produceVersion: number;
  request<T>(
    apiKey: number,
    apiVersion: number,
    /** The request body in pieces, sent one after the other (the batch itself is not copied into it). */
    payload: Buffer[],
    noResponse: boolean,
    parse: (body: Reader) => T,
  ): Promise<T | undefined>;
}

/** What the client provides: metadata, producer ids, and connections to brokers. */
export interface BatchSenderPorts {
  metadata(topic: string, forceUpdate: boolean): Promise<TopicLayout>;
  initProducerId(): Promise<{ producerId: bigint; producerEpoch: number }>;
  /** Rejects (retriably, when it may work later) if the broker cannot be reached. */
  connection(broker: Broker): Promise<ProduceConnection>;
  acks: 0 | 1 | -1;
  idempotent: boolean;
  timeoutMs: number;
}

/** A Produce that failed; `retriable` says whether trying again later can succeed. */
export class ProduceError extends Error {
  override name = 'ProduceError';
  readonly retriable: boolean;
  readonly code: string;
  constructor(code: number, topic: string, partition: number, detail: string | null) {
    super(`producing to ${topic}-${partition}: ${errorName(code)}${detail ? ` (${detail})` : ''}`);
    this.code = errorName(code);
    this.retriable = isRetriable(code) || SEQUENCE_ERRORS.has(code);
  }
}

const SEQUENCE_ERRORS = new Set<number>([
  ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  ErrorCode.UNKNOWN_PRODUCER_ID,
  ErrorCode.INVALID_PRODUCER_EPOCH,
]);

/** Produce v9+ is flexible: compact (uvarint) lengths and tagged-field sections. */
const FIRST_FLEXIBLE_PRODUCE = 9;

/**
 * The Produce request for one batch, as [before the batch, the batch's length, the batch, after it]: encoded
 * by the protocol codec with null records, whose encoding is then replaced by the batch's length and the
 * batch itself, so its bytes are never copied here. Null records end the request: as int32 -1 up to v8;
 * from v9 as one 0x00 byte followed by three empty tagged-field sections (partition, topic, request).
 */
export function produceRequest(
  version: number,
  topic: string,
  batch: SealedBatch,
  acks: number,
  timeoutMs: number,
): Buffer[] {
  const w = new Writer(64 + topic.length);
  encodeProduceRequest(w, version, {
    transactionalId: null,
    acks,
    timeoutMs,
    topicData: [{ name: topic, partitionData: [{ index: batch.partition, records: null }] }],
  });
  const empty = w.toBuffer();
  const at = empty.length - 4;
  const length = new Writer(8);
  if (version >= FIRST_FLEXIBLE_PRODUCE) {
    if (empty.readUInt32BE(at) !== 0)
      throw new Error('Produce request layout: expected null records then tags');
    length.uvarint(batch.bytes.length + 1);
    return [empty.subarray(0, at), length.toBuffer(), batch.bytes, empty.subarray(at + 1)];
  }
  if (empty.readInt32BE(at) !== -1) throw new Error('Produce request layout: expected null records last');
  length.int32(batch.bytes.length);
  return [empty.subarray(0, at), length.toBuffer(), batch.bytes];
}

interface Stamp {
  session: number;
  baseSequence: number;
}

export interface BatchSender {
  send(topic: string, batch: SealedBatch): Promise<void>;
  partitions(topic: string): Promise<number>;
  knownPartitions(topic: string): number | undefined;
  /** The partitions that had a leader in the topic's last metadata, if known. */
  availablePartitions(topic: string): number[] | undefined;
}

export function createBatchSender(ports: BatchSenderPorts): BatchSender {
  const counts = new Map<string, number>();
  const layouts = new Map<string, TopicLayout>();
  const sequences = new Map<string, number>();
  let staleMetadata = false;
  let session = 0;
  let producer: Promise<{ producerId: bigint; producerEpoch: number }> | undefined;

  const layout = async (topic: string): Promise<TopicLayout> => {
    const force = staleMetadata;
    staleMetadata = false;
    const l = await ports.metadata(topic, force);
    counts.set(topic, l.partitions);
    layouts.set(topic, l);
    return l;
  };

  const producerId = (): Promise<{ producerId: bigint; producerEpoch: number }> => {
    producer ??= ports.initProducerId().catch((error: unknown) => {
      producer = undefined;
      throw error;
    });
    return producer;
  };

  const stamp = async (topic: string, batch: SealedBatch): Promise<void> => {
    const current = batch.stamp as Stamp | undefined;
    if (current !== undefined && current.session === session) return;
    const mySession = session;
    const { producerId: id, producerEpoch } = await producerId();
    if (mySession !== session) return stamp(topic, batch);
    const key = `${topic}\u0000${batch.partition}`;
    const baseSequence = sequences.get(key) ?? 0;
    sequences.set(key, (baseSequence + batch.records) % (MAX_SEQUENCE + 1));
    const b = batch.bytes;
    b.writeBigInt64BE(id, PRODUCER_ID_OFFSET);
    b.writeInt16BE(producerEpoch, PRODUCER_EPOCH_OFFSET);
    b.writeInt32BE(baseSequence, BASE_SEQUENCE_OFFSET);
    // The stamp is inside the CRC: computed here, once (a batch of the memory buffer is sealed without one).
    writeBatchCrc(b);
    batch.checksumPending = false;
    batch.stamp = { session, baseSequence } satisfies Stamp;
  };

  /** The broker lost our producer state: a new id next time, every unacknowledged batch stamped again. */
  const resetSession = (batch: SealedBatch): void => {
    if ((batch.stamp as Stamp | undefined)?.session !== session) return;
    session++;
    producer = undefined;
    sequences.clear();
  };

  return {
    async send(topic, batch) {
      const l = await layout(topic);
      if (batch.partition < 0 || batch.partition >= l.partitions) {
        throw new ProduceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, topic, batch.partition, null);
      }
      const broker = l.leader(batch.partition);
      if (broker === undefined) {
        staleMetadata = true;
        throw new ProduceError(ErrorCode.LEADER_NOT_AVAILABLE, topic, batch.partition, null);
      }
      if (ports.idempotent) await stamp(topic, batch);
      else completeChecksum(batch);
      // A batch read back from a log carries that log's offset and epoch; a producer sends 0 and -1.
      batch.bytes.writeBigInt64BE(0n, BASE_OFFSET_OFFSET);
      batch.bytes.writeInt32BE(-1, PARTITION_LEADER_EPOCH_OFFSET);
      let response: ProduceResponse | undefined;
      try {
        const connection = await ports.connection(broker);
        const version = connection.produceVersion;
        response = await connection.request(
          PRODUCE_API_KEY,
          version,
          produceRequest(version, topic, batch, ports.acks, ports.timeoutMs),
          ports.acks === 0,
          (body) => decodeProduceResponse(body, version),
        );
      } catch (error) {
        staleMetadata = true;
        throw error;
      }
      if (ports.acks === 0 || response === undefined) return;
      const p = response.responses.find((t) => t.name === topic)?.partitionResponses[0];
      if (p === undefined) throw new Error(`producing to ${topic}: the response has no partition`);
      if (p.errorCode === ErrorCode.NONE || p.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) return;
      if (SEQUENCE_ERRORS.has(p.errorCode)) resetSession(batch);
      else if (isRetriable(p.errorCode)) staleMetadata = true;
      throw new ProduceError(p.errorCode, topic, batch.partition, p.errorMessage);
    },
    async partitions(topic) {
      return (await layout(topic)).partitions;
    },
    knownPartitions: (topic) => counts.get(topic),
    availablePartitions(topic) {
      const l = layouts.get(topic);
      if (l === undefined) return undefined;
      const out: number[] = [];
      for (let p = 0; p < l.partitions; p++) if (l.leader(p) !== undefined) out.push(p);
      return out;
    },
  };
}

/**
 * Writes a batch's CRC if its sealing left it to the sender (SealedBatch.checksumPending): before it is sent
 * without a stamp, or read back as records.
 */
export function completeChecksum(batch: SealedBatch): void {
  if (!batch.checksumPending) return;
  writeBatchCrc(batch.bytes);
  batch.checksumPending = false;
}
