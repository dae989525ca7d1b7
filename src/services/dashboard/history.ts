// GET /api/v1/history?window=<n>[s|m|h]: the live window's points per series (each with its partition and
// offset), counts and tails of logs and events, and the cursor they cover (`lastEventId`: open
// /api/v1/live?from=<it> to continue with no gap and no duplicate). A window longer than the live buffer
// adds the analytics service's rollups for it, when the topology has one.
import type { ResolvedTopology } from '../../topology/schema.ts';
import type { Cursor } from './cursor.ts';
import type { Entry, EventEntry, LogEntry, MetricEntry } from './entries.ts';
import type { Journal } from './journal.ts';
import { getJson } from './probes.ts';

const TAIL = 50;

export class HistoryParameterError extends Error {
  override readonly name = 'HistoryParameterError';
}

/** `300`, `300s`, `5m`, `2h` → ms. */
export function parseWindow(text: string | null, defaultMs: number): number {
  if (text === null || text === '') return defaultMs;
  const match = /^(\d{1,9})(s|m|h|d)?$/.exec(text);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  if (match === null || Number(match[1]) === 0) {
    throw new HistoryParameterError(
      `parameter 'window': expected a positive duration such as 300, 90s, 5m or 2h, got '${text}'`,
    );
  }
  return Number(match[1]) * unit[(match[2] ?? 's') as keyof typeof unit];
}

export interface SeriesHistory {
  id: string;
  name: string;
  unit?: string;
  type: MetricEntry['type'];
  attributes: MetricEntry['attributes'];
  points: { t: number; partition: number; offset: number; values: Record<string, number> }[];
}

export function historyOf(journal: Journal, lastEventId: string, now: number, windowMs: number) {
  const series = new Map<string, SeriesHistory>();
  const logs: LogEntry[] = [];
  const events: EventEntry[] = [];
  for (const entry of journal.window(now - windowMs)) {
    if (entry.kind === 'log') logs.push(entry);
    else if (entry.kind === 'event') events.push(entry);
    else {
      let s = series.get(entry.series);
      if (s === undefined) {
        s = {
          id: entry.series,
          name: entry.name,
          ...(entry.unit === undefined ? {} : { unit: entry.unit }),
          type: entry.type,
          attributes: entry.attributes,
          points: [],
        };
        series.set(entry.series, s);
      }
      s.points.push({ t: entry.t, partition: entry.partition, offset: entry.offset, values: entry.values });
    }
  }
  for (const s of series.values()) s.points.sort((a, b) => a.t - b.t);
  const cursor = journal.cursor();
  return {
    now,
    windowMs,
    lastEventId,
    offsets: offsetsObject(cursor),
    series: [...series.values()],
    logs: summary(logs, (e) => e.level),
    events: summary(events, (e) => e.type),
  };
}

function summary<E extends Entry>(entries: E[], by: (e: E) => string) {
  const counts: Record<string, number> = {};
  for (const e of entries) counts[by(e)] = (counts[by(e)] ?? 0) + 1;
  return { count: entries.length, counts, tail: entries.slice(-TAIL) };
}

function offsetsObject(cursor: Cursor): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [stream, partitions] of cursor) out[stream] = Object.fromEntries(partitions);
  return out;
}

interface RollupSeries {
  name: string;
  attributes: Record<string, unknown>;
  points: unknown[];
  /** The metric's type as the live window knows it (rollups do not carry it); absent when unknown. */
  type?: MetricEntry['type'];
}

/**
 * The analytics rollups of every metric name for [now - windowMs, now], or why there are none. `types`
 * (metric name → type, from the live window) lets the page chart a counter as a rate and a gauge as a mean.
 */
export async function rollupsOf(
  topology: ResolvedTopology,
  now: number,
  windowMs: number,
  timeoutMs: number,
  types: ReadonlyMap<string, MetricEntry['type']> = new Map(),
): Promise<{ source?: string; resolution?: string; series: RollupSeries[]; error?: string }> {
  const entry = Object.entries(topology.components).find(([, c]) => c.kind === 'analytics' && c.enabled);
  if (entry === undefined) return { series: [], error: 'no analytics component in the topology' };
  const [source, component] = entry;
  const base = `http://127.0.0.1:${component.httpPort}/api/v1`;
  const step = windowMs <= 2 * 3_600_000 ? '10s' : windowMs <= 2 * 86_400_000 ? '1m' : '1h';
  try {
    const { names } = await getJson<{ names: string[] }>(`${base}/names`, timeoutMs);
    const answers = await Promise.all(
      names.map((name) =>
        getJson<{ resolution: string; series: RollupSeries[] }>(
          `${base}/series?name=${encodeURIComponent(name)}&from=${now - windowMs}&to=${now}&step=${step}`,
          timeoutMs,
        ),
      ),
    );
    const series = answers.flatMap((a) => a.series);
    for (const s of series) {
      const type = types.get(s.name);
      if (type !== undefined) s.type = type;
    }
    return { source, resolution: answers[0]?.resolution ?? step, series };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const message = error instanceof Error ? error.message : String(error);
    const why = cause === undefined ? message : `${message} (${cause})`;
    return { source, series: [], error: `analytics component '${source}' at ${base} is unreachable: ${why}` };
  }
}
