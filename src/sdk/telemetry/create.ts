// createTelemetry: the facade over the real resilient publisher, one per stream, with defaults good
// enough that a service names only its bus and topics. openTelemetry (telemetry.ts) is the same facade
// over any publisher factory; tests use that with a fake.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { BusConfig } from '../kafka-client.ts';
import type { BreakerSettings } from '../publisher/breaker.ts';
import type { BufferOptions, PublisherOptions } from '../publisher/options.ts';
import { Publisher } from '../publisher/publisher.ts';
import { TelemetryConfigError } from './errors.ts';
import { openTelemetry, type Telemetry, type TelemetryOptions } from './telemetry.ts';

/** One stream's publisher options: `topic` is required; everything else defaults (see DEFAULT_STREAM). */
export type StreamOptions = Partial<Omit<PublisherOptions, 'stream' | 'topic' | 'breaker'>> & {
  topic: string;
  breaker?: Partial<BreakerSettings>;
};

export interface CreateTelemetryOptions extends Omit<
  TelemetryOptions<StreamOptions>,
  'openPublisher' | 'streams'
> {
  /** The bus of every stream that does not name its own. */
  bus?: BusConfig;
  streams: Record<string, StreamOptions>;
  /** Passed to every publisher unless its stream sets its own. */
  logger?: Logger;
  /** prom-client registry for the publishers' metrics (default: prom-client's global registry). */
  metrics?: Registry;
}

export const DEFAULT_BREAKER: Readonly<BreakerSettings> = Object.freeze({
  consecutiveFailures: 3,
  failureRatio: 0.5,
  windowMs: 10_000,
  minThroughput: 10,
  halfOpenAfterMs: 1_000,
  maxHalfOpenAfterMs: 30_000,
  closeAfterSuccesses: 2,
});
/** Telemetry prefers fresh data: when the buffer is full during an outage the oldest records go first. */
export const DEFAULT_BUFFER: Readonly<BufferOptions> = Object.freeze({
  kind: 'memory',
  maxBytes: 64 * 1024 * 1024,
  whenFull: 'drop_oldest',
});
export const DEFAULT_STREAM = Object.freeze({
  acks: -1 as const,
  idempotent: true,
  lingerMs: 5,
  maxBatchBytes: 512 * 1024,
});

/** The complete PublisherOptions of one stream: defaults, then the shared settings, then the stream's own. */
export function resolveStreamOptions(options: CreateTelemetryOptions, stream: string): PublisherOptions {
  const own = options.streams[stream];
  if (typeof own !== 'object' || own === null) {
    throw new TelemetryConfigError(`createTelemetry: streams.${stream} must be an object with a topic`);
  }
  if (typeof own.topic !== 'string' || own.topic.length === 0) {
    throw new TelemetryConfigError(`createTelemetry: streams.${stream}.topic must be a non-empty string`);
  }
  const bus = own.bus ?? options.bus;
  if (bus === undefined) {
    throw new TelemetryConfigError(
      `createTelemetry: streams.${stream} has no bus (set bus, or streams.${stream}.bus)`,
    );
  }
  const resolved: PublisherOptions = {
    ...DEFAULT_STREAM,
    buffer: DEFAULT_BUFFER,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...own,
    stream,
    bus: { clientId: `${options.service}-${stream}`, ...bus },
    breaker: { ...DEFAULT_BREAKER, ...own.breaker },
  };
  if (own.idempotent === undefined && own.acks !== undefined && own.acks !== -1) resolved.idempotent = false;
  return resolved;
}

/**
 * Opens one resilient publisher per stream and returns the telemetry facade. Resolves even when the bus
 * is unreachable: the publishers buffer until it comes back. Throws TelemetryConfigError (or the
 * publisher's PublisherOptionsError) on bad options.
 */
export async function createTelemetry(options: CreateTelemetryOptions): Promise<Telemetry> {
  if (typeof options !== 'object' || options === null)
    throw new TelemetryConfigError('createTelemetry: options must be an object');
  const resolved = new Map<string, PublisherOptions>();
  if (typeof options.streams === 'object' && options.streams !== null) {
    for (const stream of Object.keys(options.streams))
      resolved.set(stream, resolveStreamOptions(options, stream));
  }
  return openTelemetry({
    ...options,
    openPublisher: (stream) => Publisher.open(resolved.get(stream)!),
  });
}
