// The query API (docs/analytics.md): GET /api/v1/series, /api/v1/names, /api/v1/labels. Every bad
// parameter is a 400 whose `error` names it.
import type http from 'node:http';
import type { Route } from '../runtime.ts';
import { RESOLUTION_NAMES, RESOLUTIONS, type Resolution } from './rollup.ts';
import type { RollupStore } from './store.ts';

/** A request the API refuses: 400 with `{ error }`. */
export class BadParameter extends Error {
  override readonly name = 'BadParameter';
}

const DEFAULT_SPAN_MS = 3_600_000;

export interface SeriesQuery {
  name: string;
  match: [string, string][];
  from: number;
  to: number;
  step: Resolution;
}

/** Parses the parameters of GET /api/v1/series; throws BadParameter naming the first bad one. */
export function parseSeriesQuery(params: URLSearchParams, now: number): SeriesQuery {
  onlyKnown(params, ['name', 'match', 'from', 'to', 'step']);
  const name = required(params, 'name');
  const to = params.has('to') ? millis(params, 'to') : now;
  const from = params.has('from') ? millis(params, 'from') : to - DEFAULT_SPAN_MS;
  if (from >= to) throw new BadParameter(`parameter 'from' (${from}) must be before 'to' (${to})`);
  const stepText = params.get('step');
  let step: Resolution;
  if (stepText === null) step = to - from <= 3_600_000 ? '10s' : to - from <= 2 * 86_400_000 ? '1m' : '1h';
  else if ((RESOLUTION_NAMES as string[]).includes(stepText)) step = stepText as Resolution;
  else
    throw new BadParameter(
      `parameter 'step' must be one of ${RESOLUTION_NAMES.join(', ')}, got '${stepText}'`,
    );
  return { name, match: parseMatch(params.get('match')), from, to, step };
}

/** `k=v,k2=v2` → pairs; an attribute matches when its value, as a string, equals v. */
export function parseMatch(text: string | null): [string, string][] {
  if (text === null || text === '') return [];
  return text.split(',').map((part) => {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new BadParameter(`parameter 'match': '${part}' is not key=value`);
    return [part.slice(0, eq), part.slice(eq + 1)];
  });
}

export function queryRoutes(store: RollupStore<unknown>, now: () => number = Date.now): Route[] {
  const routes: Record<string, (params: URLSearchParams) => Promise<unknown>> = {
    '/api/v1/series': (params) => series(store, parseSeriesQuery(params, now())),
    '/api/v1/names': async (params) => {
      onlyKnown(params, []);
      return { names: await store.names() };
    },
    '/api/v1/labels': async (params) => {
      onlyKnown(params, ['name']);
      return { labels: labelsOf(await store.attributeSets(required(params, 'name'))) };
    },
  };
  return [
    async (req, res, url) => {
      const route = routes[url.pathname];
      if (route === undefined) return false;
      if (req.method !== 'GET') {
        send(res, 405, { error: `${req.method ?? '?'} is not allowed: use GET` });
        return true;
      }
      try {
        send(res, 200, await route(url.searchParams));
      } catch (error) {
        if (!(error instanceof BadParameter)) throw error;
        send(res, 400, { error: error.message });
      }
      return true;
    },
  ];
}

async function series(store: RollupStore<unknown>, q: SeriesQuery): Promise<unknown> {
  const resolutionMs = RESOLUTIONS[q.step];
  const from = Math.floor(q.from / resolutionMs) * resolutionMs; // the window holding `from` counts
  const rows = await store.series(q.name, q.step, from, q.to);
  const out: { name: string; attributes: Record<string, unknown>; points: unknown[] }[] = [];
  let current: { key: string; entry: (typeof out)[number] } | undefined;
  for (const row of rows) {
    if (current?.key !== row.attributes) {
      const attributes = JSON.parse(row.attributes) as Record<string, unknown>;
      const matches = q.match.every(([k, v]) => k in attributes && String(attributes[k]) === v);
      current = { key: row.attributes, entry: { name: row.name, attributes, points: [] } };
      if (matches) out.push(current.entry);
    }
    const { t, count, sum, min, max, p50, p90, p99 } = row;
    current.entry.points.push({ t, count, sum, min, max, p50, p90, p99 });
  }
  return { resolution: q.step, series: out };
}

function labelsOf(attributeSets: string[]): Record<string, string[]> {
  const labels = new Map<string, Set<string>>();
  for (const set of attributeSets) {
    for (const [k, v] of Object.entries(JSON.parse(set) as Record<string, unknown>)) {
      const values = labels.get(k) ?? new Set<string>();
      values.add(String(v));
      labels.set(k, values);
    }
  }
  return Object.fromEntries([...labels.keys()].sort().map((k) => [k, [...labels.get(k)!].sort()]));
}

function onlyKnown(params: URLSearchParams, known: string[]): void {
  for (const key of params.keys()) {
    if (!known.includes(key)) {
      throw new BadParameter(
        `unknown parameter '${key}'${known.length ? ` (known: ${known.join(', ')})` : ' (this endpoint takes none)'}`,
      );
    }
  }
}

function required(params: URLSearchParams, key: string): string {
  const value = params.get(key);
  if (value === null || value === '') throw new BadParameter(`parameter '${key}' is required`);
  return value;
}

function millis(params: URLSearchParams, key: string): number {
  const text = params.get(key)!;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new BadParameter(
      `parameter '${key}' must be milliseconds since the epoch (an integer), got '${text}'`,
    );
  }
  return value;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
