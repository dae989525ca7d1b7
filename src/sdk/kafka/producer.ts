// The bus producer: records through the client library's Producer (send), and sealed record batches as they
// are (sendBatch) over connections of our own (batch-sender.ts, broker-connection.ts).
import { createBatchSender } from '../batch-sender.ts';
import { BrokerConnections } from './broker-connection.ts';
import { clientOptions, withDeadline, type BusConfig } from './client-options.ts';
import { BusError } from './errors.ts';
import { Producer } from './platformatic.ts';

export interface OutgoingRecord {
  topic: string;
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, Buffer>;
  /** Milliseconds since the epoch; the producer's clock when absent. */
  timestamp?: bigint;
}

/**
 * One Kafka record batch v2 for one partition, encoded once by its producer (the publisher seals it) and
 * sent as it is. Producer id, epoch and base sequence are stamped by the bus producer when it first sends
 * the batch, and kept in `stamp` so that a retry carries the same sequence (the broker then drops a
 * duplicate of a batch it already has).
 */
export interface SealedBatch {
  /** -1: sealed before the topic's partition count was known; the bus producer resolves or splits it. */
  partition: number;
  bytes: Buffer;
  records: number;
  stamp?: unknown;
  /**
   * The CRC is not written yet: the publisher leaves it to the idempotent sender, which computes it once
   * when it stamps producer id, epoch and sequence (those bytes are inside the CRC anyway). Anything else
   * that reads the bytes before the sender calls completeChecksum (batch-sender.ts).
   */
  checksumPending?: boolean;
}

export interface BusProducer {
  /** Resolves when the bus acknowledged every record; rejects with a BusError within requestTimeoutMs. */
  send(records: OutgoingRecord[]): Promise<void>;
  /**
   * Sends an encoded batch as it is (no re-encoding), same contract as send(). Batches of one partition
   * may be in flight together (up to 5 when idempotent: their sequences keep them in order); a producer
   * uses either send() or sendBatch(), not both.
   */
  sendBatch?(topic: string, batch: SealedBatch): Promise<void>;
  /** The topic's partition count (fetched from the bus when not known yet). */
  partitions?(topic: string): Promise<number>;
  /** The topic's partition count if already known, without asking the bus. */
  knownPartitions?(topic: string): number | undefined;
  /** The partitions of the topic that had a leader when last asked, if known (for keyless records). */
  availablePartitions?(topic: string): number[] | undefined;
  close(): Promise<void>;
}

export interface BusProducerOptions {
  acks: 0 | 1 | -1;
  /** Requires acks -1. */
  idempotent: boolean;
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
}

const COMPRESSIONS = new Set(['none', 'gzip', 'snappy', 'lz4', 'zstd']);

export function createBusProducer(bus: BusConfig, options: BusProducerOptions): BusProducer {
  const base = clientOptions(bus, 'producer');
  if (options.acks !== 0 && options.acks !== 1 && options.acks !== -1) {
    throw new TypeError(`acks must be 0, 1 or -1, got ${String(options.acks)}`);
  }
  if (options.idempotent && options.acks !== -1) {
    throw new TypeError('an idempotent producer needs acks -1 (all in-sync replicas)');
  }
  const compression = options.compression ?? 'none';
  if (!COMPRESSIONS.has(compression))
    throw new TypeError(`unknown compression ${JSON.stringify(compression)}`);
  // The constructor only validates: no connection is made until the first send. Idempotence is asked for
  // per send: an idempotent platformatic producer limits every connection to one request in flight, which
  // sendBatch does not want.
  const producer = new Producer({ ...base, idempotent: false, acks: options.acks, compression });
  // Our own deadline on top of the client's retries: a little past one request's timeout, so one slow
  // request can still be answered, but a bus that is down never holds a caller longer than this.
  const deadlineMs = base.timeout;
  let closed = false;
  // Sealed batches go over connections of our own (no copy of the batch per request); the client library
  // keeps serving metadata, producer ids and send().
  const connections = new BrokerConnections({
    clientId: base.clientId,
    connectTimeoutMs: base.connectTimeout,
    requestTimeoutMs: base.timeout,
  });
  const batches = createBatchSender({
    metadata: async (topic, forceUpdate) => {
      const m = await producer.metadata({ topics: [topic], forceUpdate });
      const t = m.topics.get(topic);
      if (t === undefined) throw new BusError(`topic ${topic} is not known to the bus`, { retriable: true });
      return {
        partitions: t.partitionsCount,
        leader: (partition) => {
          const leader = t.partitions[partition]?.leader;
          return leader === undefined ? undefined : m.brokers.get(leader);
        },
      };
    },
    initProducerId: () => producer.initIdempotentProducer({}),
    connection: (broker) => connections.get(broker),
    acks: options.acks,
    idempotent: options.idempotent,
    timeoutMs: base.timeout,
  });
  return {
    async send(records) {
      if (closed) throw new BusError('send after close', { retriable: false });
      if (records.length === 0) return;
      const messages = records.map((r) => ({
        topic: r.topic,
        key: r.key ?? undefined,
        value: r.value,
        headers: new Map(Object.entries(r.headers).map(([k, v]) => [Buffer.from(k), v])),
        ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
      }));
      await withDeadline(
        producer.send({ messages, idempotent: options.idempotent }),
        deadlineMs,
        `producing ${records.length} record(s)`,
      );
    },
    async sendBatch(topic, batch) {
      if (closed) throw new BusError('send after close', { retriable: false });
      await withDeadline(
        batches.send(topic, batch),
        deadlineMs,
        `producing a batch of ${batch.records} record(s) to ${topic}`,
      );
    },
    async partitions(topic) {
      return withDeadline(batches.partitions(topic), deadlineMs, `reading the partitions of ${topic}`);
    },
    knownPartitions: (topic) => batches.knownPartitions(topic),
    availablePartitions: (topic) => batches.availablePartitions(topic),
    async close() {
      if (closed) return;
      closed = true;
      connections.close();
      // force: do not wait for sends the bus never answers.
      await withDeadline(producer.close(true), deadlineMs, 'closing the producer').catch(() => undefined);
    },
  };
}
