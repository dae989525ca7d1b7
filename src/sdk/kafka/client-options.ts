// The bus settings every client takes (BusConfig), validated into the client library's options, and the
// deadline every call to the bus is held to.
import { BusError } from './errors.ts';

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

export function clientOptions(bus: BusConfig, role: string) {
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

export function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`${name} must be a positive number, got ${value}`);
  return value;
}

/** Rejects with a retriable BusError after `ms` unless `work` settled first. */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
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
