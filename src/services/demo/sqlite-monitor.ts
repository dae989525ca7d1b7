// db-monitor's default mode: a real SQLite database (node:sqlite, WAL journal) in the component's data
// dir, a small order-keeping workload run against it at `rate` queries per second, and the database's own
// statistics read back from it: rows, pages, page size, free pages, file and WAL sizes.
import { statSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Telemetry } from '../../sdk/index.ts';
import type { Random } from './random.ts';

export const SQLITE_FILE = 'shop.sqlite';
/** Above this many rows, deletes outweigh inserts, so the file stays small over a long run. */
const TARGET_ROWS = 20_000;

export interface SqliteStats {
  rows: number;
  pageCount: number;
  pageSize: number;
  freelistPages: number;
  fileBytes: number;
  walBytes: number;
}

type Operation = 'insert' | 'select' | 'update' | 'delete';

export interface SqliteMonitor {
  readonly file: string;
  /** One workload query, timed into db.query.duration. */
  runQuery(): void;
  /** Reads the statistics and sets the gauges. */
  sample(): SqliteStats;
  details(): Record<string, unknown>;
  close(): void;
}

export function openSqliteMonitor(
  dataDir: string,
  telemetry: Telemetry,
  rnd: Random,
  slowMs: number,
): SqliteMonitor {
  const file = path.join(dataDir, SQLITE_FILE);
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA busy_timeout = 2000');
  db.exec(`CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY,
    customer TEXT NOT NULL,
    amount REAL NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL
  )`);
  db.exec('CREATE INDEX IF NOT EXISTS orders_customer ON orders (customer)');
  const statements: Record<Operation, StatementSync> = {
    insert: db.prepare('INSERT INTO orders (customer, amount, status, created_at) VALUES (?, ?, ?, ?)'),
    select: db.prepare('SELECT count(*) AS n, sum(amount) AS total FROM orders WHERE customer = ?'),
    update: db.prepare(
      "UPDATE orders SET status = 'shipped' WHERE id = (SELECT id FROM orders WHERE status = 'placed' LIMIT 1)",
    ),
    delete: db.prepare('DELETE FROM orders WHERE id IN (SELECT id FROM orders ORDER BY id LIMIT ?)'),
  };
  const count = db.prepare('SELECT count(*) AS n FROM orders');
  const queries: Record<Operation, number> = { insert: 0, select: 0, update: 0, delete: 0 };
  let failures = 0;
  let slow = 0;
  let rowsEstimate = Number((count.get() as { n: number }).n);
  let last: SqliteStats | undefined;

  const pragma = (name: string): number => Number(Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0]);
  const size = (f: string): number => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };

  return {
    file,
    runQuery() {
      const op: Operation = rnd.weighted([
        ['insert', rowsEstimate < TARGET_ROWS ? 45 : 20],
        ['select', 40],
        ['update', 5],
        ['delete', rowsEstimate < TARGET_ROWS ? 10 : 35],
      ] as const);
      const customer = `c-${rnd.int(1, 300)}`;
      const started = performance.now();
      try {
        if (op === 'insert') {
          statements.insert.run(
            customer,
            Math.round(rnd.logNormal(38, 0.9) * 100) / 100,
            'placed',
            Date.now(),
          );
          rowsEstimate += 1;
        } else if (op === 'select') {
          statements.select.get(customer);
        } else if (op === 'update') {
          statements.update.run();
        } else {
          rowsEstimate -= Number(statements.delete.run(rnd.int(1, 3)).changes);
        }
        queries[op] += 1;
      } catch (error) {
        // A locked or full database is something a monitor reports, not a reason to stop.
        failures += 1;
        telemetry.metrics.counter('db.query.errors', 1, { operation: op }, { unit: '{query}' });
        telemetry.logs.error('query failed', { operation: op, error: (error as Error).message });
        return;
      }
      const ms = performance.now() - started;
      telemetry.metrics.histogram(
        'db.query.duration',
        ms,
        { operation: op, 'db.system': 'sqlite' },
        { unit: 'ms' },
      );
      telemetry.metrics.counter(
        'db.queries',
        1,
        { operation: op, 'db.system': 'sqlite' },
        { unit: '{query}' },
      );
      if (ms > slowMs) {
        slow += 1;
        telemetry.logs.warn('slow query', { operation: op, durationMs: Math.round(ms) });
      }
    },
    sample() {
      const stats: SqliteStats = {
        rows: Number((count.get() as { n: number }).n),
        pageCount: pragma('page_count'),
        pageSize: pragma('page_size'),
        freelistPages: pragma('freelist_count'),
        fileBytes: size(file),
        walBytes: size(`${file}-wal`),
      };
      rowsEstimate = stats.rows;
      const { metrics } = telemetry;
      const at = { 'db.system': 'sqlite', 'db.name': SQLITE_FILE };
      metrics.gauge('db.rows', stats.rows, { ...at, table: 'orders' }, { unit: '{row}' });
      metrics.gauge('db.pages', stats.pageCount, at, { unit: '{page}' });
      metrics.gauge('db.page_size', stats.pageSize, at, { unit: 'By' });
      metrics.gauge('db.freelist_pages', stats.freelistPages, at, { unit: '{page}' });
      metrics.gauge('db.size', stats.pageCount * stats.pageSize, at, { unit: 'By' });
      metrics.gauge('db.wal.size', stats.walBytes, at, { unit: 'By' });
      last = stats;
      return stats;
    },
    details: () => ({ mode: 'sqlite', file, queries: { ...queries }, failures, slow, stats: last ?? null }),
    close: () => db.close(),
  };
}
