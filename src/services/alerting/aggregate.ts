// Aggregating a window of metric points into one value. A point is stored as a Sample (one row of
// alerting_samples): every shape reduces to count/sum/min/max, histograms keep their buckets for quantiles.
import type { MetricPoint } from '../../sdk/index.ts';
import type { Aggregation } from './rules.ts';

export interface Sample {
  ts: number;
  /** Histogram: observations; sum and gauge: 1 (one point). */
  count: number;
  /** Histogram: sum of observations; sum and gauge: the point's value. */
  sum: number;
  min: number;
  max: number;
  /** What `rate` counts per second: a sum's increments, a histogram's observations, a gauge's value. */
  rateBasis: number;
  bounds?: number[];
  counts?: number[];
}

export function sampleOf(point: MetricPoint): Sample {
  if (point.type === 'histogram') {
    return {
      ts: point.ts,
      count: point.count,
      sum: point.sum,
      min: point.min,
      max: point.max,
      rateBasis: point.count,
      bounds: point.bounds,
      counts: point.counts,
    };
  }
  return {
    ts: point.ts,
    count: 1,
    sum: point.value,
    min: point.value,
    max: point.value,
    rateBasis: point.value,
  };
}

/** The aggregation of `samples` (all inside the window); undefined when there is nothing to aggregate. */
export function aggregate(aggregation: Aggregation, samples: Sample[], windowMs: number): number | undefined {
  if (samples.length === 0) return undefined;
  switch (aggregation) {
    case 'sum':
      return total(samples, (s) => s.sum);
    case 'count':
      return total(samples, (s) => s.count);
    case 'avg': {
      const count = total(samples, (s) => s.count);
      return count === 0 ? undefined : total(samples, (s) => s.sum) / count;
    }
    case 'min':
      return Math.min(...samples.filter((s) => s.count > 0).map((s) => s.min));
    case 'max':
      return Math.max(...samples.filter((s) => s.count > 0).map((s) => s.max));
    case 'rate':
      return total(samples, (s) => s.rateBasis) / (windowMs / 1000);
    case 'last':
      return samples.reduce((a, b) => (b.ts >= a.ts ? b : a)).sum;
    default:
      return quantile(Number(aggregation.slice(1)) / 100, samples);
  }
}

function total(samples: Sample[], of: (s: Sample) => number): number {
  let t = 0;
  for (const s of samples) t += of(s);
  return t;
}

/**
 * The q-quantile of the histograms among `samples`, merged bucket by bucket (points with other bounds are
 * merged by their own bounds' upper edges), interpolated linearly inside the bucket and clamped to the
 * observed min/max.
 */
export function quantile(q: number, samples: Sample[]): number | undefined {
  const buckets = new Map<number, number>(); // upper edge (Infinity for the last) → count
  let min = Infinity;
  let max = -Infinity;
  let count = 0;
  for (const s of samples) {
    if (s.bounds === undefined || s.counts === undefined || s.count === 0) continue;
    s.counts.forEach((c, i) => {
      const upper = i < s.bounds!.length ? s.bounds![i] : Infinity;
      buckets.set(upper, (buckets.get(upper) ?? 0) + c);
    });
    min = Math.min(min, s.min);
    max = Math.max(max, s.max);
    count += s.count;
  }
  if (count === 0) return undefined;
  const edges = [...buckets.keys()].sort((a, b) => a - b);
  const rank = q * count;
  let seen = 0;
  let lower = min;
  for (const upper of edges) {
    const c = buckets.get(upper)!;
    if (c > 0 && seen + c >= rank) {
      const lo = Math.max(lower, min);
      const hi = Math.min(upper, max);
      const value = lo + ((hi - lo) * (rank - seen)) / c;
      return Math.min(Math.max(value, min), max);
    }
    seen += c;
    if (upper !== Infinity) lower = upper;
  }
  return max;
}

export function compare(op: string, value: number, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    default:
      return value !== threshold;
  }
}
