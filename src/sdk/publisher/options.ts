// The publisher's options, their defaults and their checks: every bad value is a PublisherOptionsError that
// names the option, at open() time rather than on the first outage.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Durability } from '../../broker/log/index.ts';
import type { BusConfig, BusProducer, BusProducerOptions } from '../kafka-client.ts';
import type { BreakerSettings } from './breaker.ts';
import type { Clock } from './clock.ts';
import { PublisherOptionsError } from './errors.ts';

export type WhenFull = 'block' | 'drop_newest' | 'drop_oldest';

export type BufferOptions =
  | { kind: 'memory'; maxBytes: number; whenFull: WhenFull }
  | {
      kind: 'disk';
      /** The buffer's own directory: the log lives in `<dir>/log`, corrupt segments go to `<dir>/quarantine`. */
      dir: string;
      maxBytes: number;
      whenFull: WhenFull;
      /** When a buffered batch is on disk (default interval 1000 ms: survives a process kill, not a power cut). */
      durability?: Durability;
      /** Segment size of the buffer's log (default maxBytes / 8, at least 64 KiB, at most 64 MiB). */
      segmentBytes?: number;
    };

export type Transport = (bus: BusConfig, options: BusProducerOptions) => BusProducer;

export interface PublisherOptions {
  /** The stream's name: the `stream` label of every metric and log line. */
  stream: string;
  bus: BusConfig;
  topic: string;
  acks: 0 | 1 | -1;
  idempotent: boolean;
  compression?: BusProducerOptions['compression'];
  /** How long the first record of a batch waits for company before the batch is sealed. */
  lingerMs: number;
  /** A batch is sealed once its records reach this size (record size: see recordBytes). */
  maxBatchBytes: number;
  breaker: BreakerSettings;
  buffer: BufferOptions;
  /**
   * Batches sent at once before the first is acknowledged (default 5 when idempotent, else 1; at most 5).
   * More than one needs idempotence: without sequences a retried batch could land after a later one.
   */
  maxInFlight?: number;
  /** A send that has not settled by then counts as failed (default 2 × bus.requestTimeoutMs, or 30 s). */
  sendTimeoutMs?: number;
  /** Injected clock: also turns breaker jitter off, so tests are deterministic. */
  clock?: Clock;
  logger?: Logger;
  /** Where the metrics are registered (default prom-client's global registry). */
  metrics?: Registry;
  /** Makes the bus producer (default createBusProducer); tests pass a fake. */
  transport?: Transport;
}

const WHEN_FULL = new Set<WhenFull>(['block', 'drop_newest', 'drop_oldest']);

function fail(message: string): never {
  throw new PublisherOptionsError(`publisher options: ${message}`);
}

function positiveInt(value: unknown, name: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** Throws PublisherOptionsError on the first bad option. */
export function validateOptions(o: PublisherOptions): void {
  if (typeof o !== 'object' || o === null) fail('options must be an object');
  if (typeof o.stream !== 'string' || o.stream === '') fail('stream must be a non-empty string');
  if (typeof o.topic !== 'string' || o.topic === '') fail('topic must be a non-empty string');
  if (!o.bus || !Array.isArray(o.bus.bootstrap) || o.bus.bootstrap.length === 0) {
    fail('bus.bootstrap must list at least one host:port');
  }
  if (o.acks !== 0 && o.acks !== 1 && o.acks !== -1) fail(`acks must be 0, 1 or -1, got ${String(o.acks)}`);
  if (typeof o.idempotent !== 'boolean') fail('idempotent must be a boolean');
  if (o.idempotent && o.acks !== -1) fail('idempotent needs acks -1');
  positiveInt(o.lingerMs, 'lingerMs', 0);
  positiveInt(o.maxBatchBytes, 'maxBatchBytes');
  if (o.sendTimeoutMs !== undefined) positiveInt(o.sendTimeoutMs, 'sendTimeoutMs');
  if (o.maxInFlight !== undefined) {
    positiveInt(o.maxInFlight, 'maxInFlight');
    if (o.maxInFlight > 5) fail(`maxInFlight must be at most 5, got ${o.maxInFlight}`);
    if (o.maxInFlight > 1 && !o.idempotent)
      fail('maxInFlight above 1 needs idempotent: true (order on retry)');
  }
  const b = o.breaker;
  if (!b) fail('breaker is required');
  positiveInt(b.consecutiveFailures, 'breaker.consecutiveFailures');
  if (typeof b.failureRatio !== 'number' || !(b.failureRatio > 0 && b.failureRatio <= 1)) {
    fail(`breaker.failureRatio must be in (0, 1], got ${String(b.failureRatio)}`);
  }
  positiveInt(b.windowMs, 'breaker.windowMs');
  positiveInt(b.minThroughput, 'breaker.minThroughput');
  positiveInt(b.halfOpenAfterMs, 'breaker.halfOpenAfterMs');
  positiveInt(b.maxHalfOpenAfterMs, 'breaker.maxHalfOpenAfterMs', b.halfOpenAfterMs);
  positiveInt(b.closeAfterSuccesses, 'breaker.closeAfterSuccesses');
  if (b.jitter !== undefined && !(b.jitter >= 0 && b.jitter <= 1)) fail('breaker.jitter must be in [0, 1]');
  const buf = o.buffer;
  if (!buf || (buf.kind !== 'memory' && buf.kind !== 'disk')) fail('buffer.kind must be "memory" or "disk"');
  if (!WHEN_FULL.has(buf.whenFull)) fail(`buffer.whenFull must be block, drop_newest or drop_oldest`);
  positiveInt(buf.maxBytes, 'buffer.maxBytes');
  // Room for the batch in flight plus a full batch being filled: drop_oldest can always make room.
  if (buf.maxBytes < 2 * o.maxBatchBytes) {
    fail(`buffer.maxBytes (${buf.maxBytes}) must be at least 2 × maxBatchBytes (${o.maxBatchBytes})`);
  }
  if (buf.kind === 'disk') {
    if (typeof buf.dir !== 'string' || buf.dir === '') fail('buffer.dir must be a directory path');
    if (buf.segmentBytes !== undefined) positiveInt(buf.segmentBytes, 'buffer.segmentBytes', 1024);
  }
}
