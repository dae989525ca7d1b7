// Rollups in SQLite (node:sqlite): one file holds the rollups and the consumed offsets, written by the
// consumer through the sink's connection; queries read through a second, read-only connection (WAL lets it
// read while the writer writes).
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { sqliteSink, type SqliteSink } from '../../sdk/index.ts';
import { mergeInto, type Aggregate, type Resolution } from './rollup.ts';
import {
  aggregateOfRow,
  ROLLUP_COLUMNS,
  rowValues,
  type RollupKey,
  type RollupRow,
  type RollupStore,
} from './store.ts';

const CREATE = `
CREATE TABLE IF NOT EXISTS rollups (
  name TEXT NOT NULL,
  resolution TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  attributes TEXT NOT NULL,
  count INTEGER NOT NULL,
  sum REAL NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  p50 REAL NOT NULL,
  p90 REAL NOT NULL,
  p99 REAL NOT NULL,
  sketch BLOB NOT NULL,
  PRIMARY KEY (name, resolution, window_start, attributes)
);
CREATE INDEX IF NOT EXISTS rollups_by_age ON rollups (resolution, window_start);`;

const SELECT_ROWS = `SELECT ${ROLLUP_COLUMNS.replace('window_start', 'window_start AS t')} FROM rollups`;

export class SqliteRollupStore implements RollupStore<DatabaseSync> {
  readonly kind = 'sqlite';
  readonly sink: SqliteSink;
  readonly #path: string;
  readonly #writer: DatabaseSync;
  #reader: DatabaseSync | undefined;
  #select: StatementSync | undefined;
  #insert: StatementSync | undefined;
  #update: StatementSync | undefined;

  constructor(path: string) {
    this.#path = path;
    this.#writer = new DatabaseSync(path);
    // WAL + synchronous=NORMAL: every commit survives a process crash, and readers don't block the writer.
    this.#writer.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000');
    this.sink = sqliteSink({ database: this.#writer });
  }

  async init(): Promise<void> {
    this.#writer.exec(CREATE);
    await this.sink.init();
    this.#select = this.#writer.prepare(
      'SELECT count, sum, min, max, sketch FROM rollups WHERE name = ? AND resolution = ? AND window_start = ? AND attributes = ?',
    );
    this.#insert = this.#writer.prepare(
      `INSERT INTO rollups (${ROLLUP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#update = this.#writer.prepare(
      `UPDATE rollups SET count = ?, sum = ?, min = ?, max = ?, p50 = ?, p90 = ?, p99 = ?, sketch = ?
       WHERE name = ? AND resolution = ? AND window_start = ? AND attributes = ?`,
    );
    this.#reader = new DatabaseSync(this.#path, { readOnly: true });
    this.#reader.exec('PRAGMA busy_timeout = 10000');
  }

  merge(tx: DatabaseSync, keys: RollupKey[], aggregate: Aggregate): Promise<void> {
    if (tx !== this.#writer || !this.#select || !this.#insert || !this.#update) {
      return Promise.reject(new Error('SqliteRollupStore.merge needs init() and the sink transaction'));
    }
    for (const key of keys) {
      const existing = this.#select.get(key.name, key.resolution, key.t, key.attributes) as
        { count: number; sum: number; min: number; max: number; sketch: Uint8Array } | undefined;
      const merged = existing ? mergeInto(aggregateOfRow(existing), aggregate) : aggregate;
      const v = rowValues(merged);
      if (existing) {
        this.#update.run(
          v.count,
          v.sum,
          v.min,
          v.max,
          v.p50,
          v.p90,
          v.p99,
          v.sketch,
          key.name,
          key.resolution,
          key.t,
          key.attributes,
        );
      } else {
        this.#insert.run(
          key.name,
          key.attributes,
          key.resolution,
          key.t,
          v.count,
          v.sum,
          v.min,
          v.max,
          v.p50,
          v.p90,
          v.p99,
          v.sketch,
        );
      }
    }
    return Promise.resolve();
  }

  deleteBefore(tx: DatabaseSync, resolution: Resolution, cutoff: number): Promise<number> {
    const result = tx
      .prepare('DELETE FROM rollups WHERE resolution = ? AND window_start < ?')
      .run(resolution, cutoff);
    return Promise.resolve(Number(result.changes));
  }

  series(name: string, resolution: Resolution, from: number, to: number): Promise<RollupRow[]> {
    return Promise.resolve(
      this.#read(
        `${SELECT_ROWS} WHERE name = ? AND resolution = ? AND window_start >= ? AND window_start < ? ORDER BY attributes, window_start`,
        name,
        resolution,
        from,
        to,
      ),
    );
  }

  names(): Promise<string[]> {
    const rows = this.#reader!.prepare('SELECT DISTINCT name FROM rollups ORDER BY name').all() as {
      name: string;
    }[];
    return Promise.resolve(rows.map((r) => r.name));
  }

  attributeSets(name: string): Promise<string[]> {
    const rows = this.#reader!.prepare('SELECT DISTINCT attributes FROM rollups WHERE name = ?').all(
      name,
    ) as {
      attributes: string;
    }[];
    return Promise.resolve(rows.map((r) => r.attributes));
  }

  allRows(): Promise<RollupRow[]> {
    return Promise.resolve(this.#read(`${SELECT_ROWS} ORDER BY name, resolution, window_start, attributes`));
  }

  async close(): Promise<void> {
    await this.sink.close();
    this.#reader?.close();
    if (this.#writer.isOpen) this.#writer.close();
  }

  #read(sql: string, ...params: (string | number)[]): RollupRow[] {
    if (!this.#reader) throw new Error('SqliteRollupStore: init() first');
    return (
      this.#reader.prepare(sql).all(...params) as unknown as (RollupRow & { sketch: Uint8Array })[]
    ).map((r) => ({ ...r, sketch: Buffer.from(r.sketch) }));
  }
}
