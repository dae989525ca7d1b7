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
const VALUE_TYPES = ['text', 'bigint', 'bigint', ...Array<string>(6).fill('float8'), 'bytea'];

interface StoredAggregate {
  count: string;
  sum: number;
  min: number;
  max: number;
  sketch: Buffer;
}

/** `(($3::t1, $4::t2), ...)`: `n` tuples of `width` typed parameters numbered from `first`. */
function tuples(n: number, width: number, first: number, types: string[], prefix = ''): string {
  return Array.from(
    { length: n },
    (_, i) => `(${prefix}${types.map((type, j) => `$${first + i * width + j}::${type}`).join(', ')})`,
  ).join(', ');
}

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
    // A connection the server drops (a restart, pg_terminate_backend) emits 'error' on its client, idle in
    // the pool or checked out between two queries: unheard, that would crash the process. The query in
    // flight, or the next one, fails instead, and the consumer starts again from the committed offsets.
    this.pool.on('error', () => {});
    this.pool.on('connect', (client) => client.on('error', () => {}));
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

  async merge(tx: pg.PoolClient, keys: RollupKey[], aggregate: Aggregate): Promise<void> {
    if (keys.length === 0) return;
    // Three statements for the windows of one series, whatever their number: lock the existing rows, update
    // them, insert the new ones.
    const { name, attributes } = keys[0];
    const windows = keys.map((k) => [k.resolution, k.t]);
    const { rows } = await tx.query<{ resolution: string; t: string } & StoredAggregate>(
      `SELECT resolution, window_start AS t, count, sum, min, max, sketch FROM ${this.#table}
       WHERE name = $1 AND attributes = $2 AND (resolution, window_start) IN (${tuples(windows.length, 2, 3, ['text', 'bigint'])})
       FOR UPDATE`,
      [name, attributes, ...windows.flat()],
    );
    const stored = new Map(rows.map((r) => [`${r.resolution}/${r.t}`, r]));
    const updates = keys.flatMap((k) => {
      const row = stored.get(`${k.resolution}/${k.t}`);
      if (row === undefined) return [];
      const v = rowValues(mergeInto(aggregateOfRow({ ...row, count: Number(row.count) }), aggregate));
      return [[k.resolution, k.t, v.count, v.sum, v.min, v.max, v.p50, v.p90, v.p99, v.sketch]];
    });
    if (updates.length > 0) {
      await tx.query(
        `UPDATE ${this.#table} AS r SET count = v.count, sum = v.sum, min = v.min, max = v.max, p50 = v.p50,
         p90 = v.p90, p99 = v.p99, sketch = v.sketch
         FROM (VALUES ${tuples(updates.length, 10, 3, VALUE_TYPES)})
           AS v (resolution, window_start, count, sum, min, max, p50, p90, p99, sketch)
         WHERE r.name = $1 AND r.attributes = $2 AND r.resolution = v.resolution AND r.window_start = v.window_start`,
        [name, attributes, ...updates.flat()],
      );
    }
    const fresh = keys.filter((k) => !stored.has(`${k.resolution}/${k.t}`));
    if (fresh.length === 0) return;
    const v = rowValues(aggregate);
    const inserted = await tx.query<{ resolution: string; t: string }>(
      `INSERT INTO ${this.#table} (name, attributes, ${ROLLUP_COLUMNS.split(', ').slice(2).join(', ')})
       VALUES ${tuples(fresh.length, 10, 3, VALUE_TYPES, '$1, $2, ')}
       ON CONFLICT DO NOTHING RETURNING resolution, window_start AS t`,
      [
        name,
        attributes,
        ...fresh.flatMap((k) => [
          k.resolution,
          k.t,
          v.count,
          v.sum,
          v.min,
          v.max,
          v.p50,
          v.p90,
          v.p99,
          v.sketch,
        ]),
      ],
    );
    const done = new Set(inserted.rows.map((r) => `${r.resolution}/${r.t}`));
    // A window another transaction inserted meanwhile (it has committed now): merge into it.
    const raced = fresh.filter((k) => !done.has(`${k.resolution}/${k.t}`));
    if (raced.length > 0) await this.merge(tx, raced, aggregate);
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
