// The wire format: a versioned JSON envelope per record (docs/wire-format.md is the reference). Encoding
// is JSON.stringify of the object below; decoding checks every field a v1 consumer relies on and says
// where a bad record breaks the schema. Unknown fields are ignored, so v1 can grow additively.
import { EnvelopeDecodeError } from './errors.ts';
import type { Attributes, JsonValue } from './validate.ts';

export const ENVELOPE_VERSION = 1;
export const CONTENT_TYPE = 'application/vnd.sluice.v1+json';
export const HEADER_CONTENT_TYPE = 'content-type';
export const HEADER_PRODUCER = 'sluice-producer';
export const HEADER_STREAM = 'sluice-stream';
export const HEADER_SEQUENCE = 'sluice-seq';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

interface PointBase {
  name: string;
  unit?: string;
  attributes: Attributes;
  /** Start of the aggregation interval, ms since the Unix epoch. */
  startTs: number;
  /** End of the aggregation interval (the export time), ms since the Unix epoch. */
  ts: number;
}
/** A counter's increments over [startTs, ts): delta temporality, monotonic. */
export interface SumPoint extends PointBase {
  type: 'sum';
  temporality: 'delta';
  monotonic: true;
  value: number;
}
/** The last value set in [startTs, ts). */
export interface GaugePoint extends PointBase {
  type: 'gauge';
  value: number;
}
/** Explicit-bucket histogram of the values recorded in [startTs, ts): counts[i] counts bounds[i-1] < x <= bounds[i]. */
export interface HistogramPoint extends PointBase {
  type: 'histogram';
  temporality: 'delta';
  bounds: number[];
  counts: number[];
  count: number;
  sum: number;
  min: number;
  max: number;
}
export type MetricPoint = SumPoint | GaugePoint | HistogramPoint;
export interface LogRecord {
  level: LogLevel;
  message: string;
  fields: { [key: string]: JsonValue };
}
export interface EventRecord {
  type: string;
  /** The entity key the caller gave; absent when the record key is the type. */
  key?: string;
  payload: JsonValue;
}

interface EnvelopeBase {
  v: 1;
  service: string;
  /** Unique per producer incarnation (a process start); `seq` counts per (producer, stream). */
  producer: string;
  stream: string;
  seq: number;
  /** When the record was produced, ms since the Unix epoch. */
  ts: number;
}
export interface MetricEnvelope extends EnvelopeBase {
  kind: 'metric';
  data: MetricPoint;
}
export interface LogEnvelope extends EnvelopeBase {
  kind: 'log';
  data: LogRecord;
}
export interface EventEnvelope extends EnvelopeBase {
  kind: 'event';
  data: EventRecord;
}
export type Envelope = MetricEnvelope | LogEnvelope | EventEnvelope;

export function encodeEnvelope(envelope: Envelope): Buffer {
  return Buffer.from(JSON.stringify(envelope));
}

/**
 * The envelope's constant beginning for one (kind, service, producer, stream): `{"v":1,...,"seq":`.
 * envelopeText(prefix, seq, ts, data) completes it into exactly what encodeEnvelope writes, built by
 * string concatenation with one JSON.stringify (of data) per record.
 */
export function envelopePrefix(kind: Envelope['kind'], service: string, producer: string, stream: string) {
  return `{"v":${ENVELOPE_VERSION},"kind":${JSON.stringify(kind)},"service":${JSON.stringify(service)},"producer":${JSON.stringify(producer)},"stream":${JSON.stringify(stream)},"seq":`;
}

export function envelopeText(prefix: string, seq: number, ts: number, data: Envelope['data']): string {
  return `${prefix}${seq},"ts":${ts},"data":${JSON.stringify(data)}}`;
}

/** The headers that are the same for every record of a (producer, stream): all but the sequence. */
export function constantHeaders(producer: string, stream: string): Record<string, Buffer> {
  return {
    [HEADER_CONTENT_TYPE]: Buffer.from(CONTENT_TYPE),
    [HEADER_PRODUCER]: Buffer.from(producer),
    [HEADER_STREAM]: Buffer.from(stream),
  };
}

/** The record's headers: who produced it, its sequence in (producer, stream), and the content type. */
export function envelopeHeaders(envelope: Envelope): Record<string, Buffer> {
  return {
    [HEADER_CONTENT_TYPE]: Buffer.from(CONTENT_TYPE),
    [HEADER_PRODUCER]: Buffer.from(envelope.producer),
    [HEADER_STREAM]: Buffer.from(envelope.stream),
    [HEADER_SEQUENCE]: Buffer.from(String(envelope.seq)),
  };
}

/** The record key: the metric series `name{k="v",...}` (attributes sorted), or the entity key / event type. */
export function seriesKey(name: string, attributes: Attributes): string {
  const keys = Object.keys(attributes).sort();
  if (keys.length === 0) return name;
  return `${name}{${keys.map((k) => `${k}=${JSON.stringify(attributes[k])}`).join(',')}}`;
}

/** Decodes and validates one record value; throws EnvelopeDecodeError saying what is wrong and where. */
export function decodeEnvelope(value: Buffer | Uint8Array | string | null): Envelope {
  if (value === null) throw new EnvelopeDecodeError('not-json', '$', 'the record has no value (a tombstone)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : Buffer.from(value).toString('utf8'));
  } catch (error) {
    throw new EnvelopeDecodeError('not-json', '$', `not JSON (${(error as Error).message})`);
  }
  const root = object(parsed, '$');
  if (root.v !== ENVELOPE_VERSION) {
    if (Number.isSafeInteger(root.v) && (root.v as number) > ENVELOPE_VERSION) {
      throw new EnvelopeDecodeError(
        'unsupported-version',
        '$.v',
        `version ${String(root.v)} is newer than 1`,
      );
    }
    throw new EnvelopeDecodeError('schema', '$.v', `must be 1, got ${JSON.stringify(root.v) ?? 'nothing'}`);
  }
  const base = {
    v: 1 as const,
    service: nonEmptyString(root.service, '$.service'),
    producer: nonEmptyString(root.producer, '$.producer'),
    stream: nonEmptyString(root.stream, '$.stream'),
    seq: sequence(root.seq, '$.seq'),
    ts: timestamp(root.ts, '$.ts'),
  };
  const data = object(root.data, '$.data');
  switch (root.kind) {
    case 'metric':
      return { ...base, kind: 'metric', data: metricPoint(data, '$.data') };
    case 'log':
      return { ...base, kind: 'log', data: logRecord(data, '$.data') };
    case 'event':
      return { ...base, kind: 'event', data: eventRecord(data, '$.data') };
    default:
      if (typeof root.kind === 'string') {
        throw new EnvelopeDecodeError(
          'unsupported-kind',
          '$.kind',
          `unknown kind ${JSON.stringify(root.kind)}`,
        );
      }
      throw new EnvelopeDecodeError('schema', '$.kind', 'must be "metric", "log" or "event"');
  }
}

function metricPoint(data: Record<string, unknown>, path: string): MetricPoint {
  const base: PointBase = {
    name: nonEmptyString(data.name, `${path}.name`),
    attributes: attributes(data.attributes, `${path}.attributes`),
    startTs: timestamp(data.startTs, `${path}.startTs`),
    ts: timestamp(data.ts, `${path}.ts`),
  };
  if (data.unit !== undefined) base.unit = string(data.unit, `${path}.unit`);
  switch (data.type) {
    case 'sum':
      literal(data.temporality, 'delta', `${path}.temporality`);
      literal(data.monotonic, true, `${path}.monotonic`);
      return {
        ...base,
        type: 'sum',
        temporality: 'delta',
        monotonic: true,
        value: finite(data.value, `${path}.value`),
      };
    case 'gauge':
      return { ...base, type: 'gauge', value: finite(data.value, `${path}.value`) };
    case 'histogram': {
      literal(data.temporality, 'delta', `${path}.temporality`);
      const bounds = array(data.bounds, `${path}.bounds`).map((b, i) => finite(b, `${path}.bounds[${i}]`));
      const counts = array(data.counts, `${path}.counts`).map((c, i) => count(c, `${path}.counts[${i}]`));
      if (counts.length !== bounds.length + 1) {
        throw new EnvelopeDecodeError(
          'schema',
          `${path}.counts`,
          `must have bounds.length + 1 = ${bounds.length + 1} entries, has ${counts.length}`,
        );
      }
      const total = count(data.count, `${path}.count`);
      if (counts.reduce((a, b) => a + b, 0) !== total) {
        throw new EnvelopeDecodeError('schema', `${path}.count`, 'must equal the sum of counts');
      }
      return {
        ...base,
        type: 'histogram',
        temporality: 'delta',
        bounds,
        counts,
        count: total,
        sum: finite(data.sum, `${path}.sum`),
        min: finite(data.min, `${path}.min`),
        max: finite(data.max, `${path}.max`),
      };
    }
    default:
      if (typeof data.type === 'string') {
        throw new EnvelopeDecodeError(
          'unsupported-kind',
          `${path}.type`,
          `unknown metric type ${JSON.stringify(data.type)}`,
        );
      }
      throw new EnvelopeDecodeError('schema', `${path}.type`, 'must be "sum", "gauge" or "histogram"');
  }
}

function logRecord(data: Record<string, unknown>, path: string): LogRecord {
  if (!LOG_LEVELS.includes(data.level as LogLevel)) {
    throw new EnvelopeDecodeError('schema', `${path}.level`, `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return {
    level: data.level as LogLevel,
    message: string(data.message, `${path}.message`),
    fields: object(data.fields, `${path}.fields`) as { [key: string]: JsonValue },
  };
}

function eventRecord(data: Record<string, unknown>, path: string): EventRecord {
  const record: EventRecord = { type: nonEmptyString(data.type, `${path}.type`), payload: null };
  if (data.key !== undefined) record.key = string(data.key, `${path}.key`);
  if (!('payload' in data)) throw new EnvelopeDecodeError('schema', `${path}.payload`, 'is missing');
  record.payload = data.payload as JsonValue;
  return record;
}

function fail(path: string, reason: string, got: unknown): never {
  throw new EnvelopeDecodeError(
    'schema',
    path,
    `${reason}, got ${got === undefined ? 'nothing' : JSON.stringify(got)}`,
  );
}
function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(path, 'must be an object', value);
  return value as Record<string, unknown>;
}
function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, 'must be an array', value);
  return value;
}
function string(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, 'must be a string', value);
  return value;
}
function nonEmptyString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0) fail(path, 'must be a non-empty string', value);
  return value;
}
function finite(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'must be a finite number', value);
  return value;
}
function count(value: unknown, path: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0)
    fail(path, 'must be a non-negative integer', value);
  return value as number;
}
const sequence = count;
const timestamp = count;
function literal(value: unknown, expected: unknown, path: string): void {
  if (value !== expected) fail(path, `must be ${JSON.stringify(expected)}`, value);
}
function attributes(value: unknown, path: string): Attributes {
  const attrs = object(value, path);
  for (const [key, v] of Object.entries(attrs)) {
    if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) {
      fail(`${path}.${key}`, 'must be a string, finite number or boolean', v);
    }
  }
  return attrs as Attributes;
}
