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
import { Admin, Producer } from '@platformatic/kafka';

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
  const e = error as Error & { canRetry?: unknown; code?: unknown; needsRejoin?: unknown };
  if (e.canRetry === true || e.needsRejoin === true) return true;
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

export interface BusProducer {
  /** Resolves when the bus acknowledged every record; rejects with a BusError within requestTimeoutMs. */
  send(records: OutgoingRecord[]): Promise<void>;
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
  // The constructor only validates: no connection is made until the first send.
  const producer = new Producer({ ...base, idempotent: options.idempotent, acks: options.acks, compression });
  // Our own deadline on top of the client's retries: a little past one request's timeout, so one slow
  // request can still be answered, but a bus that is down never holds a caller longer than this.
  const deadlineMs = base.timeout;
  let closed = false;
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
      await withDeadline(producer.send({ messages }), deadlineMs, `producing ${records.length} record(s)`);
    },
    async close() {
      if (closed) return;
      closed = true;
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
    async close() {
      await withDeadline(admin.close(), base.timeout, 'closing the admin client').catch(() => undefined);
    },
  };
}
