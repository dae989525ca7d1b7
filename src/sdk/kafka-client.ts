// The SDK's only door to a Kafka-protocol bus: everything else in src/sdk talks to these interfaces, never to
// @platformatic/kafka, so the client library can change without touching the publisher or the consumer runner.
//
// Contract, in short:
// - Producer: `createBusProducer` never throws or blocks for bus trouble (the client connects lazily);
//   `send()` settles within `requestTimeoutMs` (+ a little) whatever the bus does — it resolves once the bus
//   acknowledged every record (per `acks`), or rejects with a `BusError`. A rejected send may still have
//   been written (the bus can answer after our deadline): callers that retry get at-least-once.
// - Consumer: see `BusConsumer` below (per-partition ordered batches, backpressure, manual commits only,
//   start offsets chosen on assignment).
// - Admin: `createTopics` is "ensure": a topic that already exists is not an error.
// - Every failure from the client library surfaces as a `BusError` whose message walks platformatic's
//   nested errors (PLT_KFK_MULTIPLE → errors[] / cause → ECONNREFUSED) into one line.
import {
  Admin,
  Consumer,
  FetchIsolationLevels,
  ListOffsetTimestamps,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  Producer,
  type GroupAssignment,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import { createBatchSender } from './batch-sender.ts';
import { BrokerConnections } from './kafka/broker-connection.ts';

export interface BusConfig {
  /** `host:port` of one or more brokers. */
  bootstrap: string[];
  clientId?: string;
  /** TCP connect timeout (default 5000 ms). */
  connectTimeoutMs?: number;
  /** One request's timeout, and the deadline of a whole `send()` (default 10000 ms). */
  requestTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** A failure of the bus or of the client, with platformatic's nested causes folded into the message. */
export class BusError extends Error {
  /** True when trying again later can succeed (network, timeout, leader moves, rebalances). */
  readonly retriable: boolean;
  override readonly cause?: unknown;
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message);
    this.name = 'BusError';
    this.retriable = options.retriable;
    if (options.cause !== undefined) this.cause = options.cause;
  }

  /** Wraps anything thrown by the client (a BusError passes through unchanged). */
  static from(what: string, error: unknown): BusError {
    if (error instanceof BusError) return error;
    return new BusError(`${what}: ${describeError(error)}`, { retriable: isRetriable(error), cause: error });
  }
}

/** One line out of a tree of errors: `outer (inner1; inner2 (ECONNREFUSED ...))`, duplicates collapsed. */
export function describeError(error: unknown, depth = 0): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const head =
    typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  if (depth > 5) return head;
  const inner: unknown[] = [];
  if (error instanceof AggregateError) inner.push(...(error.errors as unknown[]));
  if (error.cause !== undefined) inner.push(error.cause);
  const parts = [...new Set(inner.map((e) => describeError(e, depth + 1)))].filter((p) => p && p !== head);
  return parts.length > 0 ? `${head} (${parts.join('; ')})` : head;
}

function isRetriable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false;
  const e = error as Error & {
    canRetry?: unknown;
    code?: unknown;
    needsRejoin?: unknown;
    retriable?: unknown;
  };
  if (e.canRetry === true || e.needsRejoin === true || e.retriable === true) return true;
  if (e.code === 'PLT_KFK_TIMEOUT' || e.code === 'PLT_KFK_NETWORK') return true;
  if (
    typeof e.code === 'string' &&
    /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN)$/.test(e.code)
  ) {
    return true;
  }
  const inner: unknown[] = error instanceof AggregateError ? [...(error.errors as unknown[])] : [];
  if (error.cause !== undefined) inner.push(error.cause);
  return inner.some((i) => isRetriable(i, depth + 1));
}

function clientOptions(bus: BusConfig, role: string) {
  if (!Array.isArray(bus.bootstrap) || bus.bootstrap.length === 0) {
    throw new TypeError('bus.bootstrap must be a non-empty array of "host:port" strings');
  }
  for (const address of bus.bootstrap) {
    if (typeof address !== 'string' || !/^[^:\s]+:\d{1,5}$/.test(address)) {
      throw new TypeError(`bus.bootstrap entries must be "host:port", got ${JSON.stringify(address)}`);
    }
  }
  const requestTimeoutMs = positive(bus.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 'bus.requestTimeoutMs');
  const connectTimeoutMs = positive(bus.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, 'bus.connectTimeoutMs');
  return {
    clientId: bus.clientId ?? `sluice-${role}`,
    bootstrapBrokers: bus.bootstrap,
    connectTimeout: Math.min(connectTimeoutMs, requestTimeoutMs),
    timeout: requestTimeoutMs,
    // ≥ 2 always: an idempotent producer with retries ≤ 1 silently retries forever (kafka-clients.md).
    retries: 2,
    retryDelay: Math.max(50, Math.min(500, Math.floor(requestTimeoutMs / 10))),
    autocreateTopics: false,
  };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`${name} must be a positive number, got ${value}`);
  return value;
}

/** Rejects with a retriable BusError after `ms` unless `work` settled first. */
async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BusError(`${what}: no answer within ${ms} ms`, { retriable: true })),
      ms,
    );
  });
  try {
    return await Promise.race([work, late]);
  } catch (error) {
    throw BusError.from(what, error);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Producer

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

// ---------------------------------------------------------------------------------------------------------
// Admin

export interface BusAdmin {
  /** Creates the topics that do not exist yet (replication factor: the broker's default). */
  createTopics(
    topics: { name: string; partitions: number; configs?: Record<string, string> }[],
  ): Promise<void>;
  /**
   * A fresh Metadata request (not the client's cache): the brokers the cluster lists and the partition
   * count of each of `topics` it knows. A liveness probe for health checks; rejects with a BusError.
   */
  metadata(topics?: string[]): Promise<{ brokers: number; topics: Record<string, number> }>;
  close(): Promise<void>;
}

export function createBusAdmin(bus: BusConfig): BusAdmin {
  const base = clientOptions(bus, 'admin');
  const admin = new Admin(base);
  return {
    async createTopics(topics) {
      for (const t of topics) {
        if (typeof t.name !== 'string' || t.name.length === 0)
          throw new TypeError('topic name must be non-empty');
        if (!Number.isInteger(t.partitions) || t.partitions < 1) {
          throw new TypeError(`topic ${t.name}: partitions must be a positive integer, got ${t.partitions}`);
        }
      }
      // One request per topic: partitions and configs are per request in platformatic's API.
      for (const t of topics) {
        try {
          await withDeadline(
            admin.createTopics({
              topics: [t.name],
              partitions: t.partitions,
              replicas: -1,
              configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
            }),
            base.timeout * 2,
            `creating topic ${t.name}`,
          );
        } catch (error) {
          if (
            describeError(error).includes('TOPIC_ALREADY_EXISTS') ||
            /already exists/i.test(describeError(error))
          ) {
            continue;
          }
          throw BusError.from(`creating topic ${t.name}`, error);
        }
      }
    },
    async metadata(topics = []) {
      try {
        const md = await withDeadline(
          admin.metadata({ topics, forceUpdate: true, retries: 0 }),
          base.timeout,
          'reading the cluster metadata',
        );
        const counts: Record<string, number> = {};
        for (const [name, topic] of md.topics) counts[name] = topic.partitionsCount;
        return { brokers: md.brokers.size, topics: counts };
      } catch (error) {
        throw BusError.from('reading the cluster metadata', error);
      }
    },
    async close() {
      await withDeadline(admin.close(), base.timeout, 'closing the admin client').catch(() => undefined);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Consumer

export interface IncomingRecord {
  topic: string;
  partition: number;
  offset: bigint;
  key: Buffer | null;
  /** null for a tombstone. */
  value: Buffer | null;
  headers: Map<string, Buffer>;
  /** Milliseconds since the epoch. */
  timestamp: bigint;
}

/** `offset` is the NEXT offset to consume (what a commit stores). */
export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface BusConsumerHandlers {
  /**
   * Records of one partition, in offset order. The next batch of that partition waits for the returned
   * promise (other partitions go on meanwhile, up to `maxBufferedRecords` held in memory in all). A
   * rejection is fatal: the consumer stops and `run()` rejects with that error — retry inside the handler.
   */
  onBatch(records: IncomingRecord[]): Promise<void>;
  /**
   * Partitions newly assigned to this member, before anything of them is delivered. Return start offsets
   * (e.g. read from a sink, for effectively-once) for any of them; the others start at the group's
   * committed offset, or, without one, at the earliest (`fromBeginning`) or the latest offset.
   */
  onAssigned?(partitions: TopicPartition[]): Promise<TopicPartitionOffset[] | void>;
  /**
   * Partitions this member no longer owns, after their in-flight batch finished; also every partition on
   * close(), while commits still work. With the classic (eager) group protocol this runs once the new
   * assignment is known, so another member may already be reading them: commits may then fail.
   */
  onRevoked?(partitions: TopicPartition[]): Promise<void>;
}

export interface BusConsumer {
  /**
   * Joins the group and delivers until close() (resolves then) or a fatal failure (rejects: a BusError for
   * the bus, or onBatch's own error). Partitions kept across a rebalance continue where they were.
   */
  run(handlers: BusConsumerHandlers): Promise<void>;
  /** Manual commits only (there is no autocommit). Rejects with a BusError (retriable during rebalances). */
  commit(offsets: TopicPartitionOffset[]): Promise<void>;
  /** High watermark of every partition of the subscribed topics (last stable offset under read_committed). */
  highWatermarks(): Promise<TopicPartitionOffset[]>;
  /** Stops delivering, waits for the batches in flight, calls onRevoked, leaves the group. Idempotent. */
  close(): Promise<void>;
}

export interface BusConsumerOptions {
  group: string;
  topics: string[];
  /** Where a partition without a committed offset starts: earliest (true) or latest (default). */
  fromBeginning?: boolean;
  /** Default 10000 ms (Apache Kafka refuses less than 6000 by default). */
  sessionTimeoutMs?: number;
  /** Default 1000 ms. */
  heartbeatIntervalMs?: number;
  /** How long the group waits for members to rejoin in a rebalance (default: sessionTimeoutMs). */
  rebalanceTimeoutMs?: number;
  /** Default read_uncommitted (Kafka's default). */
  isolation?: 'read_committed' | 'read_uncommitted';
  /** Largest batch handed to onBatch (default 500 records). */
  maxBatchRecords?: number;
  /** Fetching pauses while this many records wait for their handler (default 5000). */
  maxBufferedRecords?: number;
  /**
   * Upper bound of one fetch response, shared by its partitions (default 256 KiB; a single record batch
   * larger than it still comes whole). Every record fetched is decoded at once, however many are buffered.
   */
  maxFetchBytes?: number;
  /**
   * Static membership (KIP-345): a member restarted with the same id gets its partitions back without a
   * rebalance or waiting for the session timeout. Unique per member of the group; no whitespace.
   */
  groupInstanceId?: string;
}

interface PartitionState extends TopicPartition {
  key: string;
  /** Next offset to deliver; undefined until the start offset is known. */
  position: bigint | undefined;
  queue: IncomingRecord[];
  working: Promise<void> | undefined;
  revoked: boolean;
}

const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

export function createBusConsumer(bus: BusConfig, options: BusConsumerOptions): BusConsumer {
  const base = clientOptions(bus, 'consumer');
  if (typeof options.group !== 'string' || options.group.length === 0) {
    throw new TypeError('group must be a non-empty string');
  }
  if (!Array.isArray(options.topics) || options.topics.length === 0 || options.topics.some((t) => !t)) {
    throw new TypeError('topics must be a non-empty array of topic names');
  }
  const sessionTimeout = positive(options.sessionTimeoutMs, 10_000, 'sessionTimeoutMs');
  const heartbeatInterval = positive(options.heartbeatIntervalMs, 1_000, 'heartbeatIntervalMs');
  const rebalanceTimeout = positive(options.rebalanceTimeoutMs, sessionTimeout, 'rebalanceTimeoutMs');
  const maxBatch = positive(options.maxBatchRecords, 500, 'maxBatchRecords');
  const maxBuffered = positive(options.maxBufferedRecords, 5_000, 'maxBufferedRecords');
  const maxFetchBytes = positive(options.maxFetchBytes, 262_144, 'maxFetchBytes');
  if (
    options.isolation !== undefined &&
    options.isolation !== 'read_committed' &&
    options.isolation !== 'read_uncommitted'
  ) {
    throw new TypeError(
      `isolation must be read_committed or read_uncommitted, got ${String(options.isolation)}`,
    );
  }
  const isolationLevel =
    options.isolation === 'read_committed'
      ? FetchIsolationLevels.READ_COMMITTED
      : FetchIsolationLevels.READ_UNCOMMITTED;
  if (
    options.groupInstanceId !== undefined &&
    (typeof options.groupInstanceId !== 'string' || !/^\S+$/.test(options.groupInstanceId))
  ) {
    throw new TypeError(
      `groupInstanceId must be a non-empty string without whitespace, got ${JSON.stringify(options.groupInstanceId)}`,
    );
  }
  const topics = [...new Set(options.topics)];
  const consumer = new Consumer({
    ...base,
    groupId: options.group,
    ...(options.groupInstanceId === undefined ? {} : { groupInstanceId: options.groupInstanceId }),
    autocommit: false,
    sessionTimeout,
    heartbeatInterval,
    rebalanceTimeout,
    isolationLevel,
    // Short long-polls so close() and rebalances are not held up by a fetch waiting for data.
    maxWaitTime: 500,
    // platformatic's default is 50 MB per partition, every record of a response decoded at once: a consumer
    // restarted behind a backlog of 100k small records decoded all of them (1-3 s) before handling its first.
    maxBytes: maxFetchBytes,
    maxBytesPerPartition: maxFetchBytes,
  });

  const assigned = new Map<string, PartitionState>();
  let handlers: BusConsumerHandlers | undefined;
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  let assigning: Promise<void> = Promise.resolve();
  let assigningCount = 0;
  let buffered = 0;
  let stopping = false;
  let closing: Promise<void> | undefined;
  let commits: Promise<unknown> = Promise.resolve();
  let settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  let failure: unknown;

  // The stream fetches only while no assignment is being applied and the handlers keep up.
  const updateFlow = (): void => {
    if (!stream || !handlers) return;
    const hold = stopping || assigningCount > 0 || buffered >= maxBuffered;
    if (hold && !stream.isPaused()) stream.pause();
    else if (!hold && stream.isPaused() && buffered <= maxBuffered / 2) stream.resume();
  };

  const fail = (error: unknown): void => {
    if (failure !== undefined || stopping) return;
    failure = error;
    void shutdown(false).then(
      () => settle?.reject(error),
      () => settle?.reject(error),
    );
  };

  const onJoin = (payload: { assignments?: GroupAssignment[] }): void => {
    const next = new Map<string, TopicPartition>();
    for (const a of payload.assignments ?? consumer.assignments ?? []) {
      for (const partition of a.partitions)
        next.set(partitionKey(a.topic, partition), { topic: a.topic, partition });
    }
    assigningCount++;
    stream?.pause(); // synchronously: nothing is fetched at stale positions while we work out the new ones
    assigning = assigning
      .then(() => applyAssignment(next))
      .catch(fail)
      .finally(() => {
        assigningCount--;
        updateFlow();
      });
  };

  const applyAssignment = async (next: Map<string, TopicPartition>): Promise<void> => {
    if (stopping || !handlers) return;
    const removed = [...assigned.values()].filter((st) => !next.has(st.key));
    for (const st of removed) {
      st.revoked = true;
      buffered -= st.queue.length;
      st.queue = [];
      assigned.delete(st.key);
    }
    await Promise.all(removed.map((st) => st.working ?? Promise.resolve()));
    if (removed.length > 0 && handlers.onRevoked) {
      await handlers.onRevoked(removed.map(({ topic, partition }) => ({ topic, partition })));
    }
    const added = [...next.entries()].filter(([key]) => !assigned.has(key)).map(([, tp]) => tp);
    if (added.length === 0) return;
    const starts = new Map<string, bigint>();
    for (const s of (await handlers.onAssigned?.(added.map((tp) => ({ ...tp })))) ?? []) {
      if (typeof s.offset !== 'bigint' || s.offset < 0n) {
        throw new TypeError(
          `onAssigned returned a bad offset for ${s.topic}:${s.partition}: ${String(s.offset)}`,
        );
      }
      starts.set(partitionKey(s.topic, s.partition), s.offset);
    }
    const unknown = added.filter((tp) => !starts.has(partitionKey(tp.topic, tp.partition)));
    if (unknown.length > 0) {
      const byTopic = new Map<string, number[]>();
      for (const tp of unknown) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
      const committed = await withDeadline(
        consumer.listCommittedOffsets({
          topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        }),
        base.timeout * 2,
        'reading committed offsets',
      );
      const fallback = await withDeadline(
        consumer.listOffsets({
          topics: [...byTopic.keys()],
          timestamp: options.fromBeginning ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST,
          isolationLevel,
        }),
        base.timeout * 2,
        'reading start offsets',
      );
      for (const tp of unknown) {
        const c = committed.get(tp.topic)?.[tp.partition];
        const f = fallback.get(tp.topic)?.[tp.partition];
        const start = c !== undefined && c >= 0n ? c : f;
        if (start === undefined)
          throw new BusError(`no start offset for ${tp.topic}:${tp.partition}`, { retriable: true });
        starts.set(partitionKey(tp.topic, tp.partition), start);
      }
    }
    for (const tp of added) {
      const key = partitionKey(tp.topic, tp.partition);
      assigned.set(key, {
        ...tp,
        key,
        position: starts.get(key)!,
        queue: [],
        working: undefined,
        revoked: false,
      });
      stream?.offsetsToFetch.set(key, starts.get(key)!);
    }
  };

  const onMessage = (message: Message<Buffer, Buffer, Buffer, Buffer>): void => {
    const st = assigned.get(partitionKey(message.topic, message.partition));
    // Not ours (any more), or before our position (a fetch that was in flight when we seeked).
    if (!st || st.position === undefined || message.offset < st.position) return;
    st.position = message.offset + 1n;
    const headers = new Map<string, Buffer>();
    for (const [k, v] of message.headers) headers.set(Buffer.isBuffer(k) ? k.toString('utf8') : String(k), v);
    st.queue.push({
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      key: message.key ?? null,
      value: message.value ?? null,
      headers,
      timestamp: message.timestamp,
    });
    buffered++;
    updateFlow();
    if (!st.working) st.working = drain(st);
  };

  const drain = async (st: PartitionState): Promise<void> => {
    try {
      while (st.queue.length > 0 && !st.revoked && !stopping && handlers) {
        const batch = st.queue.splice(0, maxBatch);
        buffered -= batch.length;
        updateFlow();
        await handlers.onBatch(batch);
      }
    } catch (error) {
      fail(error);
    } finally {
      st.working = undefined;
    }
  };

  // Stops fetching and delivering, lets the batches in flight finish, hands every partition back through
  // onRevoked (when `revoke`), then closes the stream and leaves the group.
  const shutdown = (revoke: boolean): Promise<void> => {
    closing ??= (async () => {
      stopping = true;
      stream?.pause();
      await assigning.catch(() => undefined);
      await Promise.all([...assigned.values()].map((st) => st.working ?? Promise.resolve()));
      const owned = [...assigned.values()].map(({ topic, partition }) => ({ topic, partition }));
      assigned.clear();
      buffered = 0;
      let handlerError: unknown;
      if (revoke && owned.length > 0 && handlers?.onRevoked) {
        await handlers.onRevoked(owned).catch((error: unknown) => (handlerError = error));
      }
      consumer.off('consumer:group:join', onJoin);
      if (stream)
        await withDeadline(stream.close(), base.timeout, 'closing the stream').catch(() => undefined);
      await withDeadline(consumer.close(true), base.timeout * 2, 'leaving the group').catch(() =>
        withDeadline(consumer.close(true), base.timeout, 'closing the consumer').catch(() => undefined),
      );
      if (handlerError !== undefined) {
        throw handlerError instanceof Error ? handlerError : new Error(describeError(handlerError));
      }
    })();
    return closing;
  };

  return {
    async run(h) {
      if (handlers) throw new Error('run() was already called on this consumer');
      if (closing) throw new BusError('run() after close()', { retriable: false });
      handlers = h;
      const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      consumer.on('consumer:group:join', onJoin);
      // platformatic emits 'error' when rejoining the group fails (the bus gone mid-rebalance): a BusError
      // like every other failure, so consume() can tell a retriable one and rebuild instead of stopping.
      consumer.on('error', (error: unknown) => fail(BusError.from(`group ${options.group}`, error)));
      try {
        // Joins the group first (our join listener records the assignment), then opens the stream. Manual
        // mode: the stream never replaces a position we set, so our start offsets hold.
        stream = await consumer.consume({
          topics,
          mode: MessagesStreamModes.MANUAL,
          offsets: [],
          fallbackMode: options.fromBeginning
            ? MessagesStreamFallbackModes.EARLIEST
            : MessagesStreamFallbackModes.LATEST,
          autocommit: false,
          isolationLevel,
          maxWaitTime: 500,
        });
      } catch (error) {
        const wrapped = BusError.from(`joining group ${options.group}`, error);
        fail(wrapped);
        await done.catch(() => undefined);
        throw wrapped;
      }
      stream.pause();
      stream.on('error', (error) => fail(BusError.from(`consuming ${topics.join(',')}`, error)));
      await assigning.catch(() => undefined);
      for (const st of assigned.values()) stream.offsetsToFetch.set(st.key, st.position!);
      stream.on('data', onMessage);
      stream.pause(); // 'data' listeners switch a stream to flowing: updateFlow decides
      updateFlow();
      return done;
    },
    commit(offsets) {
      for (const o of offsets) {
        if (
          typeof o.offset !== 'bigint' ||
          o.offset < 0n ||
          !Number.isInteger(o.partition) ||
          o.partition < 0
        ) {
          return Promise.reject(
            new TypeError(`bad offset to commit: ${o.topic}:${o.partition}@${String(o.offset)}`),
          );
        }
      }
      if (offsets.length === 0) return Promise.resolve();
      // One commit at a time: two in flight for a partition could land out of order.
      const result = commits.then(() =>
        withDeadline(
          consumer.commit({ offsets: offsets.map((o) => ({ ...o, leaderEpoch: -1 })) }),
          base.timeout * 2,
          `committing offsets of group ${options.group}`,
        ),
      );
      commits = result.catch(() => undefined);
      return result;
    },
    async highWatermarks() {
      const hwm = await withDeadline(
        consumer.listOffsets({ topics, timestamp: ListOffsetTimestamps.LATEST, isolationLevel }),
        base.timeout * 2,
        'reading high watermarks',
      );
      const out: TopicPartitionOffset[] = [];
      for (const [topic, partitions] of hwm) {
        partitions.forEach((offset, partition) => out.push({ topic, partition, offset }));
      }
      return out;
    },
    async close() {
      await shutdown(true);
      settle?.resolve();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Kafka transactions: exactly-once consume-transform-produce (consumer/kafka-transaction-sink.ts)

export interface BusTransactionalProducer {
  /**
   * One Kafka transaction: `records` are produced and `offsets` become `group`'s committed offsets
   * together, or neither (aborted on any failure, then rejects with a BusError). One at a time.
   */
  commit(records: OutgoingRecord[], group: string, offsets: TopicPartitionOffset[]): Promise<void>;
  /**
   * `group`'s committed offsets of these partitions (those it has), waiting out transactions that are
   * still committing offsets (OffsetFetch require_stable).
   */
  committedOffsets(group: string, partitions: TopicPartition[]): Promise<TopicPartitionOffset[]>;
  close(): Promise<void>;
}

/**
 * A transactional producer (`transactionalId`: stable per consumer instance; starting a second one with the
 * same id fences the first). Its transaction timeout is the request timeout (platformatic's choice).
 */
export function createTransactionalProducer(
  bus: BusConfig,
  options: { transactionalId: string },
): BusTransactionalProducer {
  if (typeof options.transactionalId !== 'string' || options.transactionalId.trim() === '') {
    throw new TypeError(
      `transactionalId must be a non-empty string, got ${JSON.stringify(options.transactionalId)}`,
    );
  }
  const base = clientOptions(bus, 'transactional-producer');
  // More retries than other clients: a Kafka cluster answers InitProducerId with NOT_COORDINATOR and
  // COORDINATOR_LOAD_IN_PROGRESS for a while after its first transactional client creates __transaction_state.
  const producer = new Producer({
    ...base,
    retries: 10,
    idempotent: true,
    transactionalId: options.transactionalId,
  });
  const admin = new Admin(base);
  const deadlineMs = base.timeout * 3;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  async function transact(records: OutgoingRecord[], group: string, offsets: TopicPartitionOffset[]) {
    const txn = await producer.beginTransaction();
    try {
      if (records.length > 0) {
        await txn.send({
          messages: records.map((r) => ({
            topic: r.topic,
            key: r.key ?? undefined,
            value: r.value,
            headers: new Map(Object.entries(r.headers).map(([k, v]) => [Buffer.from(k), v])),
            ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
          })),
        });
      }
      if (offsets.length > 0) {
        // platformatic commits a transaction's offsets through a consumer and its messages; without the
        // consumer's member id and generation (-1, "") the broker checks no membership, as for kafkajs's
        // sendOffsets: zombies are fenced by the transactional id, not by the group generation.
        const [coordinator] = await admin.findCoordinator({ keyType: 0, keys: [group] });
        const consumer = {
          groupId: group,
          generationId: -1,
          memberId: '',
          coordinatorId: coordinator.nodeId,
        };
        await txn.addConsumer(consumer as unknown as Consumer);
        for (const o of offsets) {
          // addOffset commits the message's offset + 1.
          const message = {
            topic: o.topic,
            partition: o.partition,
            offset: o.offset - 1n,
            metadata: { consumer },
          };
          await txn.addOffset(message as unknown as Message);
        }
      }
      await txn.commit();
    } catch (error) {
      await txn.abort().catch(() => undefined);
      throw error;
    }
  }

  return {
    commit(records, group, offsets) {
      if (closed) return Promise.reject(new BusError('commit after close', { retriable: false }));
      const run = queue.then(() =>
        withDeadline(
          transact(records, group, offsets),
          deadlineMs,
          `a transaction of ${records.length} record(s)`,
        ),
      );
      queue = run.catch(() => undefined);
      return run.catch((error: unknown) => {
        throw BusError.from('Kafka transaction', error);
      });
    },
    async committedOffsets(group, partitions) {
      if (partitions.length === 0) return [];
      const byTopic = new Map<string, number[]>();
      for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
      const request = {
        groups: [
          { groupId: group, topics: [...byTopic].map(([name, ps]) => ({ name, partitionIndexes: ps })) },
        ],
        requireStable: true,
      };
      // UNSTABLE_OFFSET_COMMIT (a transaction still committing offsets) is retriable: ask again, briefly.
      const started = Date.now();
      let found: Awaited<ReturnType<typeof admin.listConsumerGroupOffsets>>[number] | undefined;
      for (;;) {
        try {
          [found] = await withDeadline(
            admin.listConsumerGroupOffsets(request),
            base.timeout,
            `reading the committed offsets of group ${group}`,
          );
          break;
        } catch (error) {
          const failure = BusError.from('reading committed offsets', error);
          if (!failure.retriable || Date.now() - started > deadlineMs) throw failure;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      const out: TopicPartitionOffset[] = [];
      for (const topic of found?.topics ?? []) {
        for (const p of topic.partitions) {
          if (p.committedOffset >= 0n)
            out.push({ topic: topic.name, partition: p.partitionIndex, offset: p.committedOffset });
        }
      }
      return out;
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      await withDeadline(producer.close(true), base.timeout, 'closing the producer').catch(() => undefined);
      await withDeadline(admin.close(), base.timeout, 'closing the admin client').catch(() => undefined);
    },
  };
}
