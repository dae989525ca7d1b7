// What the dashboard keeps of each record it consumed: a small, display-ready entry tagged with where it
// came from (stream, partition, offset), so a browser can resume after exactly the last one it saw.
import type { Envelope, HistogramPoint, MetricPoint } from '../../sdk/index.ts';

interface Source {
  /** Topology stream name. */
  stream: string;
  partition: number;
  offset: number;
  /** The envelope's `ts` (ms). */
  t: number;
  service: string;
}

export interface MetricEntry extends Source {
  kind: 'metric';
  /** Series identity: service, metric name and attributes. */
  series: string;
  name: string;
  unit?: string;
  type: MetricPoint['type'];
  attributes: Record<string, string | number | boolean>;
  /** sum: increments per second over the interval; gauge: the value; histogram: p50, p99, mean. */
  values: Record<string, number>;
}
export interface LogEntry extends Source {
  kind: 'log';
  level: string;
  message: string;
}
export interface EventEntry extends Source {
  kind: 'event';
  type: string;
}
export type Entry = MetricEntry | LogEntry | EventEntry;

export function toEntry(
  envelope: Envelope,
  at: { stream: string; partition: number; offset: number },
): Entry {
  const source = { ...at, t: envelope.ts, service: envelope.service };
  if (envelope.kind === 'log') {
    return { kind: 'log', ...source, level: envelope.data.level, message: envelope.data.message };
  }
  if (envelope.kind === 'event') return { kind: 'event', ...source, type: envelope.data.type };
  const point = envelope.data;
  const attributes = { service: envelope.service, ...point.attributes };
  return {
    kind: 'metric',
    ...source,
    t: point.ts,
    series: seriesId(point.name, attributes),
    name: point.name,
    ...(point.unit === undefined ? {} : { unit: point.unit }),
    type: point.type,
    attributes,
    values: displayValues(point),
  };
}

/** `name{k="v",...}` with keys sorted: the same series from any producer maps to the same id. */
export function seriesId(name: string, attributes: Record<string, string | number | boolean>): string {
  const keys = Object.keys(attributes).sort();
  return `${name}{${keys.map((k) => `${k}=${JSON.stringify(attributes[k])}`).join(',')}}`;
}

function displayValues(point: MetricPoint): Record<string, number> {
  if (point.type === 'gauge') return { value: point.value };
  if (point.type === 'sum') {
    const seconds = (point.ts - point.startTs) / 1000;
    return { rate: seconds > 0 ? point.value / seconds : 0, value: point.value };
  }
  if (point.count === 0) return { count: 0 };
  return {
    count: point.count,
    mean: point.sum / point.count,
    p50: quantile(point, 0.5),
    p99: quantile(point, 0.99),
  };
}

/**
 * The q-quantile of an explicit-bucket histogram, interpolated linearly inside its bucket and clamped to
 * the interval's min and max (the open-ended first and last buckets are bounded by them).
 */
export function quantile(point: HistogramPoint, q: number): number {
  const rank = q * point.count;
  let below = 0;
  for (let i = 0; i < point.counts.length; i++) {
    const inBucket = point.counts[i];
    if (inBucket > 0 && below + inBucket >= rank) {
      const lower = Math.max(i === 0 ? point.min : point.bounds[i - 1], point.min);
      const upper = Math.min(i < point.bounds.length ? point.bounds[i] : point.max, point.max);
      const at = lower + ((rank - below) / inBucket) * (upper - lower);
      return Math.min(Math.max(at, point.min), point.max);
    }
    below += inBucket;
  }
  return point.max;
}
