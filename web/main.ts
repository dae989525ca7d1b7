// The dashboard page: loads the live window's history, then follows GET /api/v1/live (Server-Sent
// Events; the browser resumes from the last event id by itself after a disconnect), and polls the health
// board. A longer window picked above the charts shows the analytics rollups instead (logs and events stay
// live). Bundled by esbuild (src/services/dashboard/web-assets.ts).
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { Charts } from './charts.ts';
import { byId, el, formatNumber } from './dom.ts';
import { renderHealth } from './health.ts';
import { rollupEntries, stepMs } from './rollups.ts';
import type { Entry, Health, History, LogEntry } from './types.ts';

const HEALTH_EVERY_MS = 2000;
const TAIL = 30;

const charts = new Charts(byId('charts'), 300_000);
const flow = { logs: 0, events: 0, levels: {} as Record<string, number>, tail: [] as LogEntry[] };
let live: EventSource | undefined;
/** The window picked: '' is the live one, else e.g. '6h' (charted from rollups). */
let picked = '';
/** A longer window is asked again this often: its last step is still filling. */
const ROLLUPS_EVERY_MS = 60_000;
let refresh: ReturnType<typeof setTimeout> | undefined;

async function start(): Promise<void> {
  live?.close();
  const res = await fetch('/api/v1/history');
  if (!res.ok) throw new Error(`history: ${res.status}`);
  const history = (await res.json()) as History;
  const minutes = Math.round(history.windowMs / 60_000);
  byId('window-picker').querySelector('[data-window=""]')!.textContent = `live ${minutes} min`;
  if (picked === '') showLive(history, minutes);
  flow.logs = history.logs.count;
  flow.events = history.events.count;
  flow.levels = { ...history.logs.counts };
  flow.tail = history.logs.tail.slice(-TAIL);
  renderFlow();
  follow(history.lastEventId);
}

function showLive(history: History, minutes: number): void {
  charts.clear(history.windowMs);
  byId('window').textContent = `last ${minutes} min, live`;
  byId('history-note').hidden = true;
  for (const s of history.series) {
    for (const p of s.points) charts.add({ ...s, t: p.t, values: p.values });
  }
}

async function showRollups(window: string): Promise<void> {
  const res = await fetch(`/api/v1/history?window=${encodeURIComponent(window)}`);
  if (!res.ok) throw new Error(`history: ${res.status}`);
  const history = (await res.json()) as History;
  if (picked !== window) return; // another window was picked meanwhile
  const rollups = history.rollups ?? { series: [], error: 'the dashboard sent no rollups' };
  const note = byId('history-note');
  note.hidden = rollups.error === undefined;
  note.textContent = `No history beyond the live window: ${rollups.error ?? ''}`;
  const empty = rollups.error === undefined ? `no rollups in the last ${window}` : '';
  charts.clear(history.windowMs, { empty, stepMs: stepMs(rollups.resolution) });
  for (const entry of rollupEntries(rollups)) charts.add(entry, entry.shown);
  byId('window').textContent =
    rollups.error === undefined
      ? `last ${window}, ${rollups.resolution ?? ''} rollups from ${rollups.source ?? 'analytics'}`
      : `last ${window}`;
  clearTimeout(refresh); // one pending refresh, however many answers arrive
  refresh = setTimeout(() => void showRollups(window).catch(report), ROLLUPS_EVERY_MS);
}

function pick(window: string): void {
  picked = window;
  clearTimeout(refresh);
  for (const button of byId('window-picker').querySelectorAll('button')) {
    button.setAttribute('aria-pressed', String(button.dataset.window === window));
  }
  // Back to live: reload the live window's points (they were not charted meanwhile).
  void (window === '' ? start() : showRollups(window)).catch(report);
}

function follow(from: string): void {
  const connection = byId('connection');
  live = new EventSource(`/api/v1/live?from=${encodeURIComponent(from)}`);
  live.addEventListener('open', () => {
    connection.textContent = 'live';
    connection.dataset.state = 'live';
  });
  live.addEventListener('error', () => {
    connection.textContent = 'reconnecting…';
    connection.dataset.state = 'down';
  });
  live.addEventListener('entries', (event) => {
    const { entries } = JSON.parse((event as MessageEvent<string>).data) as { entries: Entry[] };
    for (const entry of entries) receive(entry);
    if (entries.some((e) => e.kind !== 'metric')) renderFlow();
  });
  // The server no longer holds everything after our last id (we were away longer than its window).
  live.addEventListener('reset', () => void start().catch(report));
}

function receive(entry: Entry): void {
  if (entry.kind === 'metric') {
    if (picked === '') charts.add(entry);
  } else if (entry.kind === 'event') flow.events++;
  else {
    flow.logs++;
    flow.levels[entry.level] = (flow.levels[entry.level] ?? 0) + 1;
    flow.tail.push(entry);
    if (flow.tail.length > TAIL) flow.tail.shift();
  }
}

function renderFlow(): void {
  const logs = byId('logs-count');
  logs.textContent = formatNumber(flow.logs);
  logs.dataset.count = String(flow.logs);
  const events = byId('events-count');
  events.textContent = formatNumber(flow.events);
  events.dataset.count = String(flow.events);
  byId('log-levels').replaceChildren(
    ...Object.entries(flow.levels).map(([level, n]) =>
      el('span', { class: `level-${level}` }, `${level} ${formatNumber(n)} `),
    ),
  );
  byId('log-tail').replaceChildren(
    ...flow.tail
      .slice()
      .reverse()
      .map((l) =>
        el(
          'li',
          { class: `level-${l.level}` },
          `${new Date(l.t).toLocaleTimeString()} ${l.service} ${l.level} ${l.message}`,
        ),
      ),
  );
}

async function pollHealth(): Promise<void> {
  try {
    const res = await fetch('/api/v1/health');
    if (res.ok) renderHealth((await res.json()) as Health);
  } catch (error) {
    report(error);
  } finally {
    setTimeout(() => void pollHealth(), HEALTH_EVERY_MS);
  }
}

function report(error: unknown): void {
  console.error(error);
  const connection = byId('connection');
  connection.textContent = `error: ${error instanceof Error ? error.message : String(error)}`;
  connection.dataset.state = 'down';
}

byId('window-picker').addEventListener('click', (event) => {
  const button = (event.target as HTMLElement).closest('button');
  if (button !== null) pick(button.dataset.window ?? '');
});
void start().catch(report);
void pollHealth();
