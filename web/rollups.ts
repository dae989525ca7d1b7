// Charts a window longer than the live one from the analytics service's rollups (one point per step):
// a counter as its rate (sum / step), a histogram as p50 and p99, a gauge as its mean (sum / count: a
// rollup keeps no last value). A metric with no point in the live window has no known type: it is drawn
// as the mean of its points, and its title says so. No DOM here: test/services/dashboard runs it in Node.
import type { MetricEntry, RollupPoint, Rollups } from './types.ts';

const STEP_MS: Record<string, number> = { '10s': 10_000, '1m': 60_000, '1h': 3_600_000 };

export interface RollupEntry extends Pick<MetricEntry, 'name' | 'type' | 'attributes' | 't' | 'values'> {
  /** What the chart's lines show, for its title. */
  shown: string;
}

/** A resolution's step in ms (`10s`, `1m`, `1h`; 1 min when absent or unknown). */
export function stepMs(resolution: string | undefined): number {
  return STEP_MS[resolution ?? ''] ?? 60_000;
}

/** One chart entry per rollup point, with the values the live charts draw for its type. */
export function rollupEntries(rollups: Rollups): RollupEntry[] {
  const resolution = rollups.resolution ?? '1m';
  const step = stepMs(resolution);
  return rollups.series.flatMap((s) => {
    const type = s.type ?? 'gauge';
    const shown = s.type === undefined ? `mean per ${resolution}, type unknown` : SHOWN[type](resolution);
    return s.points.map((p) => ({
      name: s.name,
      type,
      attributes: s.attributes,
      t: p.t,
      values: values(type, p, step),
      shown,
    }));
  });
}

const SHOWN = {
  sum: (r: string) => `rate/s = sum / ${r}`,
  histogram: (r: string) => `p50, p99 per ${r}`,
  gauge: (r: string) => `mean per ${r}`,
};

function values(type: keyof typeof SHOWN, p: RollupPoint, stepMs: number): Record<string, number> {
  if (type === 'sum') return { rate: p.sum / (stepMs / 1000) };
  if (type === 'histogram') return { p50: p.p50, p99: p.p99 };
  return { value: p.count === 0 ? 0 : p.sum / p.count };
}
