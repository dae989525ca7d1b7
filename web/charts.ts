// Live charts: one uPlot per metric name, one line per series (counters as a rate per second, gauges as
// their value, histograms as p50 and p99). Points arrive from the history and the live stream; a chart is
// redrawn at most every RENDER_EVERY_MS and its lines are rebuilt when a new series appears.
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
  #scheduled = false;

  constructor(root: HTMLElement, windowMs: number) {
    this.#root = root;
    this.#windowMs = windowMs;
  }

  clear(windowMs: number): void {
    for (const chart of this.#charts.values()) chart.plot?.destroy();
    this.#charts.clear();
    this.#windowMs = windowMs;
    this.#root.replaceChildren(
      el(
        'p',
        { class: 'muted', id: 'no-charts' },
        'no metric points in this window yet (is the metrics bus up?)',
      ),
    );
  }

  add(entry: Pick<MetricEntry, 'name' | 'type' | 'unit' | 'attributes' | 't' | 'values'>): void {
    let chart = this.#charts.get(entry.name);
    if (chart === undefined) {
      const container = el('div', { class: 'chart', 'data-metric': entry.name, 'data-points': 0 });
      chart = {
        name: entry.name,
        type: entry.type,
        ...(entry.unit === undefined ? {} : { unit: entry.unit }),
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
      const data: uPlot.AlignedData = [
        xs.map((t) => t / 1000),
        ...keys.map((k) => {
          const points = chart.lines.get(k)!.points;
          return xs.map((t) => points.get(t) ?? null);
        }),
      ];
      if (chart.plot === undefined || keys.join('\n') !== chart.plottedLines.join('\n')) {
        chart.plot?.destroy();
        chart.container.replaceChildren(el('h3', {}, title(chart)));
        chart.plot = new uPlot(options(chart, keys), data, chart.container);
        chart.plottedLines = keys;
      } else {
        chart.plot.setData(data);
      }
      chart.container.setAttribute('data-points', String(xs.length));
      chart.container.setAttribute('data-received', String(chart.received));
    }
  }
}

function options(chart: Chart, keys: string[]): uPlot.Options {
  return {
    width: 390,
    height: 180,
    legend: { show: keys.length <= 12, live: false },
    scales: { x: { time: true } },
    axes: [{}, { size: 56 }],
    series: [
      {},
      ...keys.map((label, i) => ({
        label,
        stroke: COLORS[i % COLORS.length],
        width: 1.5,
        spanGaps: true,
      })),
    ],
  };
}

function title(chart: Chart): string {
  const unit = chart.unit === undefined ? '' : ` (${chart.unit})`;
  if (chart.type === 'sum') return `${chart.name} — rate/s`;
  if (chart.type === 'histogram') return `${chart.name}${unit} — p50, p99`;
  return `${chart.name}${unit}`;
}

function lineLabel(attributes: Record<string, string | number | boolean>): string {
  const parts = Object.entries(attributes).map(([k, v]) =>
    k === 'service' ? String(v) : `${k}=${String(v)}`,
  );
  return parts.length === 0 ? '(all)' : parts.join(' ');
}
