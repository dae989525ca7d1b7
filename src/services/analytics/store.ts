// Where rollups live. A store pairs a rollup table with the consumer's transactional sink: merge() runs on
// the sink's transaction (so a rollup update and the consumed offset commit together), the reads run on a
// connection of their own.
import type { TransactionalSink } from '../../sdk/index.ts';
import { DDSketch } from './ddsketch.ts';
import { quantilesOf, type Aggregate, type Resolution } from './rollup.ts';

/** One rollup row: one series (name + attributes) in one window of one resolution. */
export interface RollupRow {
  name: string;
  /** Canonical JSON of the attributes (keys sorted). */
  attributes: string;
  resolution: Resolution;
  /** Window start, ms since the epoch. */
  t: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
  /** The DDSketch of the window, DDSketch.encode()'s format. */
  sketch: Buffer;
}

export interface RollupKey {
  name: string;
  attributes: string;
  resolution: Resolution;
  t: number;
}

export interface RollupStore<Tx> {
  readonly kind: 'sqlite' | 'postgres';
  readonly sink: TransactionalSink<Tx>;
  /** Creates the tables when missing (the sink's offsets table too). Idempotent. */
  init(): Promise<void>;
  /**
   * Adds `aggregate` to the row at each of `keys` (created when missing), on the sink's transaction `tx`.
   * The keys are windows of one series: they share name and attributes.
   */
  merge(tx: Tx, keys: RollupKey[], aggregate: Aggregate): Promise<void>;
  /** Deletes the rows of `resolution` whose window started before `cutoff`; returns how many. */
  deleteBefore(tx: Tx, resolution: Resolution, cutoff: number): Promise<number>;
  /** Rows of `name` at `resolution` with from <= t < to, ordered by attributes then t. */
  series(name: string, resolution: Resolution, from: number, to: number): Promise<RollupRow[]>;
  /** Every metric name, sorted. */
  names(): Promise<string[]>;
  /** The distinct attribute sets (canonical JSON) of `name`. */
  attributeSets(name: string): Promise<string[]>;
  /** Every row, in key order (for comparing stores). */
  allRows(): Promise<RollupRow[]>;
  close(): Promise<void>;
}

/** The row values of an aggregate: what merge() writes. */
export function rowValues(a: Aggregate): Omit<RollupRow, keyof RollupKey> {
  return { count: a.count, sum: a.sum, min: a.min, max: a.max, ...quantilesOf(a), sketch: a.sketch.encode() };
}

/** A stored row back as an aggregate, to merge into. */
export function aggregateOfRow(row: {
  count: number;
  sum: number;
  min: number;
  max: number;
  sketch: Uint8Array;
}): Aggregate {
  return { count: row.count, sum: row.sum, min: row.min, max: row.max, sketch: DDSketch.decode(row.sketch) };
}

export const ROLLUP_COLUMNS =
  'name, attributes, resolution, window_start, count, sum, min, max, p50, p90, p99, sketch';
