// In-process metric aggregation. The hot path (record) validates and updates one in-memory series; it
// never allocates for an existing series and never touches the bus. collect() turns everything touched
// since the last collect into delta points, one per series, and forgets series idle for a whole interval
// so memory follows the live cardinality, not every series ever seen.
import type { MetricPoint } from './envelope.ts';
import { TelemetryValidationError } from './errors.ts';
import {
  type Attributes,
  checkBoundaries,
  checkFinite,
  checkMetricName,
  checkUnit,
  snapshotAttributes,
} from './validate.ts';
import { SeriesIndex, type SeriesNode } from './series-index.ts';

export type InstrumentType = 'sum' | 'gauge' | 'histogram';

/** Per-instrument settings, honoured on the first call for a metric name (later calls' options are ignored). */
export interface InstrumentOptions {
  unit?: string;
  /** Histogram bucket boundaries (strictly increasing); default DEFAULT_BOUNDARIES. */
  boundaries?: readonly number[];
}

/** OpenTelemetry's default explicit bucket boundaries. */
export const DEFAULT_BOUNDARIES: readonly number[] = Object.freeze([
  0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000,
]);
/** The attribute set that series beyond maxSeriesPerMetric are folded into (OpenTelemetry's convention). */
export const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

interface Series {
  attributes: Attributes;
  /** Where the series sits in the index; undefined for the overflow series. */
  node: SeriesNode<Series> | undefined;
  touched: boolean;
  value: number; // sum: the delta; gauge: the last value; histogram: the sum
  count: number;
  min: number;
  max: number;
  counts: number[] | undefined;
}

interface Instrument {
  name: string;
  type: InstrumentType;
  unit: string | undefined;
  bounds: readonly number[];
  index: SeriesIndex<Series>;
  live: Set<Series>;
  overflow: Series | undefined;
}

const CALL: Record<InstrumentType, string> = {
  sum: 'metrics.counter',
  gauge: 'metrics.gauge',
  histogram: 'metrics.histogram',
};

export class MetricAggregator {
  readonly #instruments = new Map<string, Instrument>();
  readonly #maxSeries: number;
  #intervalStart: number;

  constructor(options: { maxSeriesPerMetric: number; now: number }) {
    this.#maxSeries = options.maxSeriesPerMetric;
    this.#intervalStart = options.now;
  }

  /** Validates one measurement and folds it into its series. Throws TelemetryValidationError on bad input. */
  record(
    type: InstrumentType,
    name: string,
    value: number,
    attributes: Attributes | undefined,
    options: InstrumentOptions | undefined,
  ): void {
    let instrument = this.#instruments.get(name);
    if (instrument === undefined) instrument = this.#define(type, name, options);
    else if (instrument.type !== type) {
      throw new TelemetryValidationError(
        CALL[type],
        'name',
        `${JSON.stringify(name)} is already a ${instrument.type} metric`,
      );
    }
    if (typeof value !== 'number' || value - value !== 0) checkFinite(CALL[type], 'value', value);
    if (type === 'sum' && value < 0) {
      throw new TelemetryValidationError(
        CALL[type],
        'value',
        `must not be negative for a counter, got ${value}`,
      );
    }
    const node = instrument.index.lookup(CALL[type], attributes);
    const series = node.series ?? this.#newSeries(instrument, node, attributes);
    series.touched = true;
    switch (type) {
      case 'sum':
        series.value += value;
        return;
      case 'gauge':
        series.value = value;
        return;
      case 'histogram': {
        series.value += value;
        series.count++;
        if (value < series.min) series.min = value;
        if (value > series.max) series.max = value;
        series.counts![bucketOf(instrument.bounds, value)]++;
        return;
      }
    }
  }

  /** Number of series held in memory (touched this interval or the one before). */
  get seriesCount(): number {
    let n = 0;
    for (const instrument of this.#instruments.values()) n += instrument.live.size;
    return n;
  }

  /** Delta points for [previous collect, now), one per series touched; resets them. */
  collect(now: number): MetricPoint[] {
    const startTs = this.#intervalStart;
    this.#intervalStart = now;
    const points: MetricPoint[] = [];
    for (const instrument of this.#instruments.values()) {
      for (const series of instrument.live) {
        if (!series.touched) {
          instrument.live.delete(series);
          if (series.node !== undefined) instrument.index.remove(series.node);
          else instrument.overflow = undefined;
          continue;
        }
        points.push(toPoint(instrument, series, startTs, now));
        reset(series);
      }
    }
    return points;
  }

  #define(type: InstrumentType, name: string, options: InstrumentOptions | undefined): Instrument {
    const call = CALL[type];
    checkMetricName(call, name);
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new TelemetryValidationError(call, 'options', 'must be an object');
    }
    const unit = checkUnit(call, options?.unit);
    let bounds = DEFAULT_BOUNDARIES;
    if (options?.boundaries !== undefined) {
      if (type !== 'histogram')
        throw new TelemetryValidationError(call, 'options.boundaries', 'applies to histograms only');
      bounds = checkBoundaries(call, 'options.boundaries', options.boundaries);
    }
    const instrument: Instrument = {
      name,
      type,
      unit,
      bounds,
      index: new SeriesIndex(),
      live: new Set(),
      overflow: undefined,
    };
    this.#instruments.set(name, instrument);
    return instrument;
  }

  #newSeries(instrument: Instrument, node: SeriesNode<Series>, attributes: Attributes | undefined): Series {
    const overflowing = instrument.live.size - (instrument.overflow === undefined ? 0 : 1) >= this.#maxSeries;
    if (overflowing && instrument.overflow !== undefined) {
      instrument.index.remove(node); // prune the empty branch lookup() made
      return instrument.overflow;
    }
    const series: Series = {
      attributes: overflowing ? OVERFLOW_ATTRIBUTES : snapshotAttributes(attributes),
      node: overflowing ? undefined : node,
      touched: false,
      value: 0,
      count: 0,
      min: Infinity,
      max: -Infinity,
      counts:
        instrument.type === 'histogram' ? new Array<number>(instrument.bounds.length + 1).fill(0) : undefined,
    };
    if (overflowing) {
      instrument.index.remove(node);
      instrument.overflow = series;
    } else {
      node.series = series;
    }
    instrument.live.add(series);
    return series;
  }
}

/** Index of the bucket holding `value`: the first i with value <= bounds[i], else bounds.length. */
function bucketOf(bounds: readonly number[], value: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (value <= bounds[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function toPoint(instrument: Instrument, series: Series, startTs: number, ts: number): MetricPoint {
  const base = { name: instrument.name, ...(instrument.unit === undefined ? {} : { unit: instrument.unit }) };
  const attributes = series.attributes;
  switch (instrument.type) {
    case 'sum':
      return {
        ...base,
        attributes,
        startTs,
        ts,
        type: 'sum',
        temporality: 'delta',
        monotonic: true,
        value: series.value,
      };
    case 'gauge':
      return { ...base, attributes, startTs, ts, type: 'gauge', value: series.value };
    case 'histogram':
      return {
        ...base,
        attributes,
        startTs,
        ts,
        type: 'histogram',
        temporality: 'delta',
        bounds: [...instrument.bounds],
        counts: [...series.counts!],
        count: series.count,
        sum: series.value,
        min: series.min,
        max: series.max,
      };
  }
}

function reset(series: Series): void {
  series.touched = false;
  series.value = 0;
  series.count = 0;
  series.min = Infinity;
  series.max = -Infinity;
  series.counts?.fill(0);
}
