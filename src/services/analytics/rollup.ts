// What one metric point adds to a rollup window, and how rollups merge.
//
//   sum, gauge   one observation of the point's value: count 1, sum = value, min = max = value, and the value
//                goes into the sketch. For a sum (delta counter) `sum` is then the window's total increment
//                and the quantiles are over the per-export increments; for a gauge sum / count is the mean.
//   histogram    count, sum, min and max are the point's own (exact). The sketch gets each bucket's count at
//                the bucket's representative: the midpoint of the bucket's bounds clamped to [min, max] (the
//                open first and last buckets are closed by min and max). So a quantile is exact to within
//                half the clamped width of the bucket holding it, plus the sketch's relative accuracy α; a
//                bucket that holds a single distinct value (min = max, or clamped to one point) gives it
//                within α.
import type { MetricPoint } from '../../sdk/index.ts';
import { DDSketch } from './ddsketch.ts';

/** The rollup resolutions: name → window length in ms. */
export const RESOLUTIONS = { '10s': 10_000, '1m': 60_000, '1h': 3_600_000 } as const;
export type Resolution = keyof typeof RESOLUTIONS;
export const RESOLUTION_NAMES = Object.keys(RESOLUTIONS) as Resolution[];

export interface Aggregate {
  count: number;
  sum: number;
  min: number;
  max: number;
  sketch: DDSketch;
}

/**
 * The window a point counts in: the one holding the last millisecond of its interval [startTs, ts), so a
 * point exported on a window boundary counts in the window it measured. Returns the window's start.
 */
export function windowStart(point: MetricPoint, resolutionMs: number): number {
  const last = Math.max(point.startTs, point.ts - 1);
  return Math.floor(last / resolutionMs) * resolutionMs;
}

/** What `point` contributes to a window; undefined for an empty histogram (nothing was measured). */
export function aggregateOf(point: MetricPoint, alpha: number): Aggregate | undefined {
  const sketch = new DDSketch(alpha);
  if (point.type !== 'histogram') {
    sketch.add(point.value);
    return { count: 1, sum: point.value, min: point.value, max: point.value, sketch };
  }
  if (point.count === 0) return undefined;
  const { bounds, counts, min, max } = point;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0) continue;
    const lo = Math.max(i === 0 ? min : bounds[i - 1], min);
    const hi = Math.min(i === bounds.length ? max : bounds[i], max);
    sketch.add(lo <= hi ? (lo + hi) / 2 : Math.min(Math.max(hi, min), max), counts[i]);
  }
  return { count: point.count, sum: point.sum, min, max, sketch };
}

/** Folds `b` into `a` (a is changed). */
export function mergeInto(a: Aggregate, b: Aggregate): Aggregate {
  a.count += b.count;
  a.sum += b.sum;
  a.min = Math.min(a.min, b.min);
  a.max = Math.max(a.max, b.max);
  a.sketch.merge(b.sketch);
  return a;
}

export interface Quantiles {
  p50: number;
  p90: number;
  p99: number;
}

/** p50/p90/p99 of an aggregate, clamped to its exact min and max (which only brings them closer). */
export function quantilesOf(a: Aggregate): Quantiles {
  const q = (p: number): number => Math.min(Math.max(a.sketch.quantile(p) ?? a.min, a.min), a.max);
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99) };
}

/** The attributes as stored: canonical JSON (keys sorted), so one series is one string. */
export function attributesKey(attributes: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1))));
}
