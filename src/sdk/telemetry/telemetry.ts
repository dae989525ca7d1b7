// The telemetry facade a service holds: metrics aggregated in memory and exported every exportIntervalMs,
// logs and events enveloped and handed to their stream's publisher at once. Nothing here waits on the bus
// and nothing throws because of it: publisher failures are counted and reported through onError. Bad
// input throws TelemetryValidationError before anything is buffered.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { MetricAggregator, type InstrumentOptions } from './aggregator.ts';
import {
  type Envelope,
  type EventRecord,
  type LogLevel,
  type LogRecord,
  type MetricPoint,
  constantHeaders,
  encodeEnvelope,
  envelopeHeaders,
  envelopePrefix,
  envelopeText,
  HEADER_SEQUENCE,
  LOG_LEVELS,
  seriesKey,
} from './envelope.ts';
import { EnvelopeEncoder, type EnvelopeValue } from './envelope-writer.ts';
import { TelemetryConfigError, TelemetryValidationError } from './errors.ts';
import type { OpenPublisher, PublishResult, TelemetryPublisher } from './publisher-port.ts';
import { prepareHeaders, type PreparedHeaders, type PreparedRecord } from '../publisher/record-encoding.ts';
import { type Attributes, checkJson, type JsonValue, typeOf } from './validate.ts';

export interface TelemetryOptions<S> {
  /** The service's name, in every envelope. */
  service: string;
  /** Stream name → its publisher's options. `metrics`, `logs` and `events` feed the built-in APIs; any other name is reached with stream(name). */
  streams: Record<string, S>;
  openPublisher: OpenPublisher<S>;
  /** Unique per process incarnation (sequence numbers restart with it). Default `<service>-<host>-<pid>-<random>`. */
  producerId?: string;
  /** How often aggregated metrics are exported. Default 10 000 ms. */
  exportIntervalMs?: number;
  /** Series per metric name before new attribute sets fold into the overflow series. Default 2000. */
  maxSeriesPerMetric?: number;
  /** Logs below this level are discarded at the call site. Default 'debug' (everything). */
  logLevel?: LogLevel;
  /** Publisher failures (a throw or a rejected promise). Default: one process warning per stream. */
  onError?: (error: unknown, stream: string) => void;
  /** Milliseconds since the Unix epoch; injectable for tests. */
  now?: () => number;
}

/**
 * What a log or event call returns, synchronously (like stream.write() in Node): 'accepted' (buffered),
 * 'dropped' (counted as lost), or 'blocked': the buffer is full and whenFull is block, so the record waits
 * for room; a caller that wants backpressure awaits drained() before producing more.
 */
export type PublishOutcome = 'accepted' | 'dropped' | 'blocked';

export interface EventEmitterApi {
  /** Record key: options.key (the entity) when given, else the type. */
  emit(type: string, payload: unknown, options?: { key?: string }): PublishOutcome;
  /** Resolves once no record of this stream waits for buffer room. Never rejects. */
  drained(): Promise<void>;
}

export interface MetricsApi {
  counter(name: string, value: number, attributes?: Attributes, options?: InstrumentOptions): void;
  gauge(name: string, value: number, attributes?: Attributes, options?: InstrumentOptions): void;
  histogram(name: string, value: number, attributes?: Attributes, options?: InstrumentOptions): void;
}

export type LogsApi = Record<
  LogLevel,
  (message: string, fields?: Record<string, unknown>) => PublishOutcome
> & {
  /** Resolves once no log record waits for buffer room. Never rejects. */
  drained(): Promise<void>;
};

export interface StreamStats {
  published: number;
  /** Records the publisher answered 'dropped' to (it counts them by reason itself). */
  droppedByPublisher: number;
  /** Publisher throws or rejections, and records offered after close. */
  failed: number;
}

/** How one stream's flush or close ended. */
export interface StreamDrain {
  /**
   * drained: everything handed over was acknowledged by the bus; incomplete: the publisher stopped with
   * records left (kept in a disk buffer, or dropped as 'closed'); timed-out; failed (see error).
   */
  status: 'drained' | 'incomplete' | 'timed-out' | 'failed';
  error?: string;
  /** Records still in the publisher's buffer afterwards (when the publisher reports its state). */
  bufferedRecords?: number;
  /** Records the publisher dropped because it closed before they were sent. */
  droppedOnClose?: number;
}
export type DrainReport = Record<string, StreamDrain>;

export interface Telemetry {
  readonly service: string;
  readonly producerId: string;
  readonly metrics: MetricsApi;
  readonly logs: LogsApi;
  readonly events: EventEmitterApi;
  stream(name: string): EventEmitterApi;
  /** Exports the metrics aggregated so far now, instead of at the next interval. */
  exportMetrics(): void;
  /** Exports metrics and waits (at most timeoutMs) for every publisher to flush. Never rejects. */
  flush(timeoutMs?: number): Promise<DrainReport>;
  /** Stops the export timer, exports the last metrics, closes every publisher within timeoutMs. Never rejects. */
  close(timeoutMs?: number): Promise<DrainReport>;
  stats(): Record<string, StreamStats>;
}

interface Stream {
  name: string;
  publisher: TelemetryPublisher;
  seq: number;
  stats: StreamStats;
  /** Publishes waiting for buffer room (whenFull: block); each settles, never rejects. */
  blocked: Set<Promise<void>>;
  warned: boolean;
  /** Envelope beginnings by kind, and the constant headers, made on first use (publishPrepared). */
  prefixes: Partial<Record<Envelope['kind'], string>>;
  headers: PreparedHeaders | undefined;
  /** Writes event and log envelopes in pieces (publishPrepared); made on first use. */
  encoder: EnvelopeEncoder | undefined;
}

const STREAM_NAME = /^[A-Za-z0-9._-]{1,249}$/;

export async function openTelemetry<S>(options: TelemetryOptions<S>): Promise<Telemetry> {
  const config = checkOptions(options);
  const opened: Stream[] = [];
  try {
    for (const [name, streamOptions] of Object.entries(options.streams)) {
      const publisher = await options.openPublisher(name, streamOptions);
      opened.push({
        name,
        publisher,
        seq: 0,
        stats: { published: 0, droppedByPublisher: 0, failed: 0 },
        warned: false,
        blocked: new Set(),
        prefixes: {},
        headers: undefined,
        encoder: undefined,
      });
    }
  } catch (error) {
    await Promise.allSettled(opened.map((s) => s.publisher.close(1000)));
    throw error;
  }
  return new TelemetryImpl(config, new Map(opened.map((s) => [s.name, s])));
}

interface Config {
  service: string;
  producerId: string;
  exportIntervalMs: number;
  maxSeriesPerMetric: number;
  minLevel: number;
  onError: ((error: unknown, stream: string) => void) | undefined;
  now: () => number;
}

function checkOptions<S>(options: TelemetryOptions<S>): Config {
  const bad = (what: string, reason: string) =>
    new TelemetryConfigError(`createTelemetry: ${what} ${reason}`);
  if (typeof options !== 'object' || options === null) throw bad('options', 'must be an object');
  if (typeof options.service !== 'string' || options.service.length === 0) {
    throw bad('service', `must be a non-empty string, got ${typeOf(options.service)}`);
  }
  if (
    typeof options.streams !== 'object' ||
    options.streams === null ||
    Object.keys(options.streams).length === 0
  ) {
    throw bad('streams', 'must name at least one stream (metrics, logs, events or your own)');
  }
  for (const name of Object.keys(options.streams)) {
    if (!STREAM_NAME.test(name)) throw bad(`streams.${name}`, 'is not a valid stream name ([A-Za-z0-9._-]+)');
  }
  if (typeof options.openPublisher !== 'function') throw bad('openPublisher', 'must be a function');
  const positive = (what: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value <= 0)
      throw bad(what, `must be a positive integer, got ${String(value)}`);
    return value;
  };
  const producerId =
    options.producerId ?? `${options.service}-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  if (typeof producerId !== 'string' || producerId.length === 0)
    throw bad('producerId', 'must be a non-empty string');
  const level = options.logLevel ?? 'debug';
  if (!LOG_LEVELS.includes(level)) throw bad('logLevel', `must be one of ${LOG_LEVELS.join(', ')}`);
  return {
    service: options.service,
    producerId,
    exportIntervalMs: positive('exportIntervalMs', options.exportIntervalMs, 10_000),
    maxSeriesPerMetric: positive('maxSeriesPerMetric', options.maxSeriesPerMetric, 2000),
    minLevel: LOG_LEVELS.indexOf(level),
    onError: options.onError,
    now: options.now ?? Date.now,
  };
}

class TelemetryImpl implements Telemetry {
  readonly service: string;
  readonly producerId: string;
  readonly metrics: MetricsApi;
  readonly logs: LogsApi;
  readonly events: EventEmitterApi;
  readonly #config: Config;
  readonly #streams: Map<string, Stream>;
  readonly #emitters = new Map<string, EventEmitterApi>();
  readonly #aggregator: MetricAggregator;
  readonly #timer: NodeJS.Timeout | undefined;
  #closing: Promise<DrainReport> | undefined;

  constructor(config: Config, streams: Map<string, Stream>) {
    this.#config = config;
    this.#streams = streams;
    this.service = config.service;
    this.producerId = config.producerId;
    const aggregator = new MetricAggregator({
      maxSeriesPerMetric: config.maxSeriesPerMetric,
      now: config.now(),
    });
    this.#aggregator = aggregator;
    if (streams.has('metrics')) {
      // Arrow functions over the aggregator: the per-call cost is validation plus one map update.
      this.metrics = {
        counter: (name, value, attributes, options) =>
          aggregator.record('sum', name, value, attributes, options),
        gauge: (name, value, attributes, options) =>
          aggregator.record('gauge', name, value, attributes, options),
        histogram: (name, value, attributes, options) =>
          aggregator.record('histogram', name, value, attributes, options),
      };
      this.#timer = setInterval(() => this.exportMetrics(), config.exportIntervalMs);
      this.#timer.unref(); // the export timer never keeps a process alive on its own
    } else {
      const missing = () => {
        throw new TelemetryConfigError('metrics: no "metrics" stream was configured in createTelemetry');
      };
      this.metrics = { counter: missing, gauge: missing, histogram: missing };
    }
    this.logs = { drained: () => this.#drained('logs') } as LogsApi;
    for (const level of LOG_LEVELS) this.logs[level] = (message, fields) => this.#log(level, message, fields);
    this.events = this.stream('events');
  }

  stream(name: string): EventEmitterApi {
    let emitter = this.#emitters.get(name);
    if (emitter === undefined) {
      const stream = this.#streams.get(name);
      if (stream === undefined) {
        const fail = () => {
          throw new TelemetryConfigError(
            `stream(${JSON.stringify(name)}): no such stream was configured in createTelemetry`,
          );
        };
        emitter = { emit: fail, drained: fail };
      } else {
        const call = name === 'events' ? 'events.emit' : `stream(${JSON.stringify(name)}).emit`;
        emitter = {
          emit: (type, payload, options) => this.#emit(stream, call, type, payload, options),
          drained: () => this.#drained(name),
        };
      }
      this.#emitters.set(name, emitter);
    }
    return emitter;
  }

  exportMetrics(): void {
    const stream = this.#streams.get('metrics');
    if (stream === undefined) return;
    const points: MetricPoint[] = this.#aggregator.collect(this.#config.now());
    for (const point of points) {
      // A blocked export is not awaited: the export must not stall; the publisher holds the record.
      this.#publish(stream, seriesKey(point.name, point.attributes), 'metric', point);
    }
  }

  async flush(timeoutMs = 5000): Promise<DrainReport> {
    if (this.#closing === undefined) this.exportMetrics();
    return this.#drain(timeoutMs, (p, t) => p.flush(t));
  }

  close(timeoutMs = 10_000): Promise<DrainReport> {
    this.#closing ??= (() => {
      if (this.#timer !== undefined) clearInterval(this.#timer);
      this.exportMetrics();
      return this.#drain(timeoutMs, (p, t) => p.close(t));
    })();
    return this.#closing;
  }

  stats(): Record<string, StreamStats> {
    return Object.fromEntries([...this.#streams.values()].map((s) => [s.name, { ...s.stats }]));
  }

  #log(level: LogLevel, message: unknown, fields: unknown): PublishOutcome {
    const call = `logs.${level}`;
    if (typeof message !== 'string') {
      throw new TelemetryValidationError(call, 'message', `must be a string, got ${typeOf(message)}`);
    }
    if (fields !== undefined) {
      if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
        throw new TelemetryValidationError(call, 'fields', `must be an object, got ${typeOf(fields)}`);
      }
      checkJson(call, 'fields', fields);
    }
    const stream = this.#streams.get('logs');
    if (stream === undefined)
      throw new TelemetryConfigError(`${call}: no "logs" stream was configured in createTelemetry`);
    if (LOG_LEVELS.indexOf(level) < this.#config.minLevel) return 'dropped';
    if (this.#closing !== undefined) return this.#refused(stream);
    const seq = stream.seq++;
    const ts = this.#config.now();
    const publisher = stream.publisher;
    let result: PublishResult;
    try {
      if (publisher.publishPrepared !== undefined) {
        const encoder = (stream.encoder ??= this.#encoder(stream));
        const value = encoder.log(
          seq,
          ts,
          level,
          message,
          fields === undefined ? '{}' : JSON.stringify(fields),
        );
        // Keyed by producer: one instance's logs stay in order, instances spread over partitions.
        result = publisher.publishPrepared(this.#prepared(stream, this.producerId, seq, ts, value));
      } else {
        const record: LogRecord = { level, message, fields: (fields ?? {}) as LogRecord['fields'] };
        result = this.#publishEnvelope(stream, this.producerId, 'log', seq, ts, record);
      }
    } catch (error) {
      this.#failed(stream, error);
      return 'dropped';
    }
    return this.#outcome(stream, result);
  }

  #emit(stream: Stream, call: string, type: unknown, payload: unknown, options: unknown): PublishOutcome {
    if (typeof type !== 'string' || type.length === 0) {
      throw new TelemetryValidationError(call, 'type', `must be a non-empty string, got ${typeOf(type)}`);
    }
    checkJson(call, 'payload', payload);
    let key: string | undefined;
    if (options !== undefined) {
      if (typeof options !== 'object' || options === null) {
        throw new TelemetryValidationError(call, 'options', `must be an object, got ${typeOf(options)}`);
      }
      key = (options as { key?: unknown }).key as string | undefined;
      if (key !== undefined && (typeof key !== 'string' || key.length === 0)) {
        throw new TelemetryValidationError(
          call,
          'options.key',
          `must be a non-empty string, got ${typeOf(key)}`,
        );
      }
    }
    if (this.#closing !== undefined) return this.#refused(stream);
    const seq = stream.seq++;
    const ts = this.#config.now();
    const publisher = stream.publisher;
    let result: PublishResult;
    try {
      if (publisher.publishPrepared !== undefined) {
        // The envelope written into the batch in pieces around the payload's JSON: no data object, no
        // envelope text (envelope-writer.ts); the same bytes encodeEnvelope makes.
        const encoder = (stream.encoder ??= this.#encoder(stream));
        const value = encoder.event(seq, ts, type, key, JSON.stringify(payload));
        result = publisher.publishPrepared(this.#prepared(stream, key ?? type, seq, ts, value));
      } else {
        const record: EventRecord =
          key === undefined
            ? { type, payload: payload as JsonValue }
            : { type, key, payload: payload as JsonValue };
        result = this.#publishEnvelope(stream, key ?? type, 'event', seq, ts, record);
      }
    } catch (error) {
      this.#failed(stream, error);
      return 'dropped';
    }
    return this.#outcome(stream, result);
  }

  #encoder(stream: Stream): EnvelopeEncoder {
    return new EnvelopeEncoder(this.service, this.producerId, stream.name);
  }

  #prepared(stream: Stream, key: string, seq: number, ts: number, value: EnvelopeValue): PreparedRecord {
    stream.headers ??= prepareHeaders(constantHeaders(this.producerId, stream.name), HEADER_SEQUENCE);
    return { key, value, headers: stream.headers, lastHeaderValue: seq, timestamp: ts };
  }

  /** A log or event after close() began: not taken, counted as failed. */
  #refused(stream: Stream): PublishOutcome {
    stream.stats.failed++;
    return 'dropped';
  }

  /** Metric points: few (one per series per export), so the envelope is text around JSON.stringify(data). */
  #publish(stream: Stream, key: string, kind: Envelope['kind'], data: Envelope['data']): PublishOutcome {
    const seq = stream.seq++;
    const ts = this.#config.now();
    let result: PublishResult;
    try {
      result = this.#publishEnvelope(stream, key, kind, seq, ts, data);
    } catch (error) {
      this.#failed(stream, error);
      return 'dropped';
    }
    return this.#outcome(stream, result);
  }

  /** The envelope of `data`, to any publisher: as text into its batch (publishPrepared), or as Buffers. */
  #publishEnvelope(
    stream: Stream,
    key: string,
    kind: Envelope['kind'],
    seq: number,
    ts: number,
    data: Envelope['data'],
  ): PublishResult {
    const publisher = stream.publisher;
    if (publisher.publishPrepared !== undefined) {
      // The envelope as text around one JSON.stringify of data: the same bytes encodeEnvelope would make.
      const prefix = (stream.prefixes[kind] ??= envelopePrefix(
        kind,
        this.service,
        this.producerId,
        stream.name,
      ));
      stream.headers ??= prepareHeaders(constantHeaders(this.producerId, stream.name), HEADER_SEQUENCE);
      return publisher.publishPrepared({
        key,
        value: envelopeText(prefix, seq, ts, data),
        headers: stream.headers,
        lastHeaderValue: seq,
        timestamp: ts,
      });
    }
    const envelope = {
      v: 1,
      kind,
      service: this.service,
      producer: this.producerId,
      stream: stream.name,
      seq,
      ts,
      data,
    } as Envelope;
    return publisher.publish({
      key: Buffer.from(key),
      value: encodeEnvelope(envelope),
      headers: envelopeHeaders(envelope),
    });
  }

  #outcome(stream: Stream, result: PublishResult): PublishOutcome {
    if (result === 'accepted') stream.stats.published++;
    else if (result === 'dropped') stream.stats.droppedByPublisher++;
    else {
      const waiting: Promise<void> = result.then(
        () => {
          stream.stats.published++;
          stream.blocked.delete(waiting);
        },
        (error: unknown) => {
          this.#failed(stream, error);
          stream.blocked.delete(waiting);
        },
      );
      stream.blocked.add(waiting);
      return 'blocked';
    }
    return result;
  }

  async #drained(name: string): Promise<void> {
    const stream = this.#streams.get(name);
    if (stream === undefined)
      throw new TelemetryConfigError(`no "${name}" stream was configured in createTelemetry`);
    while (stream.blocked.size > 0) await Promise.all(stream.blocked);
  }

  #failed(stream: Stream, error: unknown): void {
    stream.stats.failed++;
    try {
      if (this.#config.onError !== undefined) this.#config.onError(error, stream.name);
      else if (!stream.warned) {
        stream.warned = true;
        process.emitWarning(
          `sluice telemetry: publishing to stream "${stream.name}" failed: ${String(error)}`,
        );
      }
    } catch {
      // an onError that throws must not turn bus trouble into a caller's exception
    }
  }

  async #drain(
    timeoutMs: number,
    step: (publisher: TelemetryPublisher, timeoutMs: number) => Promise<void>,
  ): Promise<DrainReport> {
    const entries = await Promise.all(
      [...this.#streams.values()].map(async (s): Promise<[string, StreamDrain]> => {
        const closedBefore = s.publisher.state?.dropped.closed ?? 0;
        let timer: NodeJS.Timeout | undefined;
        // Our own deadline as well as the publisher's: close() stays bounded even if a publisher is not.
        const deadline = new Promise<StreamDrain>((resolve) => {
          timer = setTimeout(() => resolve({ status: 'timed-out' }), timeoutMs + 100);
        });
        const done = step(s.publisher, timeoutMs).then(
          (): StreamDrain => ({ status: 'drained' }),
          (error: unknown): StreamDrain => ({
            status: error instanceof Error && /timeout/i.test(error.name) ? 'timed-out' : 'failed',
            error: error instanceof Error ? error.message : String(error),
          }),
        );
        let result: StreamDrain;
        try {
          result = await Promise.race([done, deadline]);
        } finally {
          clearTimeout(timer);
        }
        // A publisher may give up at its deadline without an error: what it still holds or dropped says so.
        const state = s.publisher.state;
        if (state !== undefined) {
          result.bufferedRecords = state.bufferedRecords;
          const droppedOnClose = (state.dropped.closed ?? 0) - closedBefore;
          if (droppedOnClose > 0) result.droppedOnClose = droppedOnClose;
          if (result.status === 'drained' && (state.bufferedRecords > 0 || droppedOnClose > 0)) {
            result.status = 'incomplete';
          }
        }
        return [s.name, result];
      }),
    );
    return Object.fromEntries(entries);
  }
}
