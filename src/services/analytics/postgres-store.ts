// Rollups in PostgreSQL: the rollup table and the consumed offsets in one schema, written by the consumer
// through the sink's transaction (a pool client); queries use the pool. A row is read FOR UPDATE before it
// is merged, so two consumers (two streams) updating one row queue instead of losing an update.
import pg from 'pg';
import { postgresSink, type PostgresSink } from '../../sdk/index.ts';
import { mergeInto, type Aggregate, type Resolution } from './rollup.ts';
import {
  aggregateOfRow,
  ROLLUP_COLUMNS,
  rowValues,
  type RollupKey,
  type RollupRow,
  type RollupStore,
} from './store.ts';

// A concurrent CREATE ... IF NOT EXISTS can still collide in the catalog: the object exists either way.
const ALREADY_EXISTS = new Set(['23505', '42P07', '42P06']);
const KEY = 'name = $1 AND resolution = $2 AND window_start = $3 AND attributes = $4';

export interface PostgresStoreOptions {
  /** A connection string, `postgres://user@host:port/database`. */
  url: string;
  /** Schema of the tables (created when missing); default the connection's search_path. */
  schema?: string;
}

interface PgRow {
  name: string;
  attributes: string;
  resolution: Resolution;
  t: string;
  count: string;
  sum: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
  sketch: Buffer;
}

export class PostgresRollupStore implements RollupStore<pg.PoolClient> {
  readonly kind = 'postgres';
  readonly sink: PostgresSink;
  readonly pool: pg.Pool;
  readonly #schema: string | undefined;
  readonly #table: string;

  constructor(options: PostgresStoreOptions) {
    if (options.schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(options.schema)) {
      throw new Error(
        `store.schema ${JSON.stringify(options.schema)} must be a plain identifier: letters, digits, _`,
      );
    }
    this.#schema = options.schema;
    const prefix = options.schema === undefined ? '' : `${options.schema}.`;
    this.#table = `${prefix}rollups`;
    this.pool = new pg.Pool({ connectionString: options.url, max: 4 });
    // An idle client's connection error (the server restarted) must not crash the process.
    this.pool.on('error', () => {});
    this.sink = postgresSink({ pool: this.pool, offsetsTable: `${prefix}sluice_consumer_offsets` });
  }

  async init(): Promise<void> {
    if (this.#schema !== undefined) await this.#ensure(`CREATE SCHEMA IF NOT EXISTS ${this.#schema}`);
    await this.#ensure(`CREATE TABLE IF NOT EXISTS ${this.#table} (
      name TEXT NOT NULL,
      resolution TEXT NOT NULL,
      window_start BIGINT NOT NULL,
      attributes TEXT NOT NULL,
      count BIGINT NOT NULL,
      sum DOUBLE PRECISION NOT NULL,
      min DOUBLE PRECISION NOT NULL,
      max DOUBLE PRECISION NOT NULL,
      p50 DOUBLE PRECISION NOT NULL,
      p90 DOUBLE PRECISION NOT NULL,
      p99 DOUBLE PRECISION NOT NULL,
      sketch BYTEA NOT NULL,
      PRIMARY KEY (name, resolution, window_start, attributes))`);
    await this.#ensure(
      `CREATE INDEX IF NOT EXISTS rollups_by_age ON ${this.#table} (resolution, window_start)`,
    );
    await this.sink.init();
  }

  async merge(tx: pg.PoolClient, key: RollupKey, aggregate: Aggregate): Promise<void> {
    const params = [key.name, key.resolution, key.t, key.attributes];
    for (;;) {
      const { rows } = await tx.query<{
        count: string;
        sum: number;
        min: number;
        max: number;
        sketch: Buffer;
      }>(`SELECT count, sum, min, max, sketch FROM ${this.#table} WHERE ${KEY} FOR UPDATE`, params);
      if (rows[0] !== undefined) {
        const v = rowValues(
          mergeInto(aggregateOfRow({ ...rows[0], count: Number(rows[0].count) }), aggregate),
        );
        await tx.query(
          `UPDATE ${this.#table} SET count = $5, sum = $6, min = $7, max = $8, p50 = $9, p90 = $10, p99 = $11,
           sketch = $12 WHERE ${KEY}`,
          [...params, v.count, v.sum, v.min, v.max, v.p50, v.p90, v.p99, v.sketch],
        );
        return;
      }
      const v = rowValues(aggregate);
      const inserted = await tx.query(
        `INSERT INTO ${this.#table} (${ROLLUP_COLUMNS}) VALUES ($1, $4, $2, $3, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT DO NOTHING`,
        [...params, v.count, v.sum, v.min, v.max, v.p50, v.p90, v.p99, v.sketch],
      );
      if (inserted.rowCount === 1) return;
      // Another transaction inserted the row meanwhile (and has committed): merge into it.
    }
  }

  async deleteBefore(tx: pg.PoolClient, resolution: Resolution, cutoff: number): Promise<number> {
    const result = await tx.query(`DELETE FROM ${this.#table} WHERE resolution = $1 AND window_start < $2`, [
      resolution,
      cutoff,
    ]);
    return result.rowCount ?? 0;
  }

  async series(name: string, resolution: Resolution, from: number, to: number): Promise<RollupRow[]> {
    return this.#read(
      `WHERE name = $1 AND resolution = $2 AND window_start >= $3 AND window_start < $4 ORDER BY attributes COLLATE "C", window_start`,
      [name, resolution, from, to],
    );
  }

  async names(): Promise<string[]> {
    const { rows } = await this.pool.query<{ name: string }>(
      `SELECT DISTINCT name FROM ${this.#table} ORDER BY name`,
    );
    return rows.map((r) => r.name);
  }

  async attributeSets(name: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ attributes: string }>(
      `SELECT DISTINCT attributes FROM ${this.#table} WHERE name = $1`,
      [name],
    );
    return rows.map((r) => r.attributes);
  }

  allRows(): Promise<RollupRow[]> {
    // COLLATE "C": the same byte order as SQLite's, so two stores list rows alike.
    return this.#read(
      'ORDER BY name COLLATE "C", resolution COLLATE "C", window_start, attributes COLLATE "C"',
      [],
    );
  }

  async close(): Promise<void> {
    await this.sink.close();
    await this.pool.end();
  }

  async #read(where: string, params: unknown[]): Promise<RollupRow[]> {
    const { rows } = await this.pool.query<PgRow>(
      `SELECT ${ROLLUP_COLUMNS.replace('window_start', 'window_start AS t')} FROM ${this.#table} ${where}`,
      params,
    );
    return rows.map((r) => ({ ...r, t: Number(r.t), count: Number(r.count) }));
  }

  async #ensure(sql: string): Promise<void> {
    try {
      await this.pool.query(sql);
    } catch (error) {
      if (!ALREADY_EXISTS.has((error as { code?: string }).code ?? '')) throw error;
    }
  }
}
