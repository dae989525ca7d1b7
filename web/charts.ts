// Charts: one uPlot per metric name, one line per series (counters as a rate per second, gauges as
// their value, histograms as p50 and p99). Points arrive from the history and the live stream, or from
// analytics rollups (rollups.ts, which says what a chart's lines show); a chart is redrawn at most every
// RENDER_EVERY_MS and its lines are rebuilt when a new series appears.
import uPlot from 'uplot';
import { el } from './dom.ts';
import type { MetricEntry } from './types.ts';

/** Charts are redrawn at most this often (a timer, not animation frames: those stop in hidden tabs). */
const RENDER_EVERY_MS = 250;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

interface Line {
  label: string;
  /** t (ms) → value */
  points: Map<number, number>;
}

interface Chart {
  name: string;
  type: MetricEntry['type'];
  unit?: string;
  /** What the lines show, for the title (default: by type, as the live window draws them). */
  shown?: string;
  lines: Map<string, Line>;
  container: HTMLElement;
  plot?: uPlot;
  plottedLines: string[];
  received: number;
}

/** Which of an entry's values a chart draws, by metric type. */
const SHOWN: Record<MetricEntry['type'], string[]> = {
  sum: ['rate'],
  gauge: ['value'],
  histogram: ['p50', 'p99'],
};

export class Charts {
  readonly #root: HTMLElement;
  readonly #charts = new Map<string, Chart>();
  #windowMs: number;
  /** Rollups' step: a step without a point had no data, so the line breaks there (live points are joined). */
  #stepMs: number | undefined;
  #scheduled = false;

  constructor(root: HTMLElement, windowMs: number) {
    this.#root = root;
    this.#windowMs = windowMs;
  }

  clear(windowMs: number, options: { empty?: string; stepMs?: number } = {}): void {
    for (const chart of this.#charts.values()) chart.plot?.destroy();
    this.#charts.clear();
    this.#windowMs = windowMs;
    this.#stepMs = options.stepMs;
    const empty = options.empty ?? 'no metric points in this window yet (is the metrics bus up?)';
    this.#root.replaceChildren(el('p', { class: 'muted', id: 'no-charts' }, empty));
  }

  add(
    entry: Pick<MetricEntry, 'name' | 'type' | 'unit' | 'attributes' | 't' | 'values'>,
    shown?: string,
  ): void {
    let chart = this.#charts.get(entry.name);
    if (chart === undefined) {
      const container = el('div', { class: 'chart', 'data-metric': entry.name, 'data-points': 0 });
      chart = {
        name: entry.name,
        type: entry.type,
        ...(entry.unit === undefined ? {} : { unit: entry.unit }),
        ...(shown === undefined ? {} : { shown }),
        lines: new Map(),
        container,
        plottedLines: [],
        received: 0,
      };
      this.#charts.set(entry.name, chart);
      document.getElementById('no-charts')?.remove();
      this.#insertSorted(container, entry.name);
    }
    const label = lineLabel(entry.attributes);
    for (const value of SHOWN[entry.type] ?? []) {
      const v = entry.values[value];
      if (v === undefined) continue;
      const key = SHOWN[entry.type].length > 1 ? `${value} ${label}` : label;
      let line = chart.lines.get(key);
      if (line === undefined) {
        line = { label: key, points: new Map() };
        chart.lines.set(key, line);
      }
      line.points.set(entry.t, v);
    }
    chart.received++;
    this.#schedule();
  }

  #insertSorted(container: HTMLElement, name: string): void {
    const after = [...this.#root.children].find((c) => (c.getAttribute('data-metric') ?? '') > name);
    this.#root.insertBefore(container, after ?? null);
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setTimeout(() => {
      this.#scheduled = false;
      this.render();
    }, RENDER_EVERY_MS);
  }

  #options(keys: string[]): uPlot.Options {
    const windowMs = this.#windowMs;
    // Rollups span the whole window, however few steps have data; live charts fit their points.
    const range = (): uPlot.Range.MinMax => [(Date.now() - windowMs) / 1000, Date.now() / 1000];
    return {
      width: 390,
      height: 180,
      legend: { show: keys.length <= 12, live: false },
      scales: { x: this.#stepMs === undefined ? { time: true } : { time: true, range } },
      axes: [{}, { size: 56 }],
      series: [
        {},
        ...keys.map((label, i) => ({
          label,
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          spanGaps: this.#stepMs === undefined,
        })),
      ],
    };
  }

  render(): void {
    const cutoff = Date.now() - this.#windowMs;
    for (const chart of this.#charts.values()) {
      for (const line of chart.lines.values()) {
        for (const t of line.points.keys()) if (t < cutoff) line.points.delete(t);
      }
      const keys = [...chart.lines.keys()].sort();
      const xs = [...new Set(keys.flatMap((k) => [...chart.lines.get(k)!.points.keys()]))].sort(
        (a, b) => a - b,
      );
      const times = this.#stepMs === undefined ? xs : withGaps(xs, this.#stepMs);
      const data: uPlot.AlignedData = [
        times.map((t) => t / 1000),
        ...keys.map((k) => {
          const points = chart.lines.get(k)!.points;
          return times.map((t) => points.get(t) ?? null);
        }),
      ];
      if (chart.plot === undefined || keys.join('\n') !== chart.plottedLines.join('\n')) {
        chart.plot?.destroy();
        chart.container.replaceChildren(el('h3', {}, title(chart)));
        chart.plot = new uPlot(this.#options(keys), data, chart.container);
        chart.plottedLines = keys;
      } else {
        chart.plot.setData(data);
      }
      chart.container.setAttribute('data-points', String(xs.length));
      chart.container.setAttribute('data-received', String(chart.received));
    }
  }
}

/** `xs` plus one empty step after each run of steps, so that a line breaks where a step had no data. */
function withGaps(xs: number[], stepMs: number): number[] {
  return xs.flatMap((t, i) => (i + 1 < xs.length && xs[i + 1] - t > stepMs ? [t, t + stepMs] : [t]));
}

function title(chart: Chart): string {
  const unit = chart.unit === undefined ? '' : ` (${chart.unit})`;
  if (chart.shown !== undefined) return `${chart.name}${unit} — ${chart.shown}`;
  if (chart.type === 'sum') return `${chart.name} — rate/s`;
  if (chart.type === 'histogram') return `${chart.name}${unit} — p50, p99`;
  return `${chart.name}${unit} — last value`;
}

function lineLabel(attributes: Record<string, string | number | boolean>): string {
  const parts = Object.entries(attributes).map(([k, v]) =>
    k === 'service' ? String(v) : `${k}=${String(v)}`,
  );
  return parts.length === 0 ? '(all)' : parts.join(' ');
}
