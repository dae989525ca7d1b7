// db-monitor's PostgreSQL mode: reads pg_stat_database and pg_stat_activity of the configured database
// every interval and publishes them: backends and connections by state and the database size as gauges;
// commits, rollbacks, block reads and hits, and tuple counts as counters of what changed since the last
// sample (PostgreSQL's own counters are cumulative); the buffer cache hit ratio of the interval. It only
// reads: it never writes to the database it watches.
import pg from 'pg';
import type { Telemetry } from '../../sdk/index.ts';

const DATABASE_STATS = `SELECT numbackends, xact_commit, xact_rollback, blks_read, blks_hit, tup_returned,
  tup_fetched, tup_inserted, tup_updated, tup_deleted, deadlocks, pg_database_size(datname) AS size_bytes,
  current_database() AS datname
  FROM pg_stat_database WHERE datname = current_database()`;
const ACTIVITY = `SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n
  FROM pg_stat_activity WHERE datname = current_database() GROUP BY 1`;

const COUNTERS = [
  'xact_commit',
  'xact_rollback',
  'blks_read',
  'blks_hit',
  'tup_returned',
  'tup_fetched',
  'tup_inserted',
  'tup_updated',
  'tup_deleted',
  'deadlocks',
] as const;
type Counter = (typeof COUNTERS)[number];

export interface PostgresMonitor {
  sample(): Promise<void>;
  details(): Record<string, unknown>;
  close(): Promise<void>;
}

/** The URL without its password, for logs and /status. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

export function openPostgresMonitor(url: string, telemetry: Telemetry): PostgresMonitor {
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5000 });
  // An idle client losing its connection must not crash the process; the next sample reconnects.
  pool.on('error', () => undefined);
  const attrs: Record<string, string> = { 'db.system': 'postgresql' };
  let previous: Record<Counter, number> | undefined;
  const totals = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
  let samples = 0;
  let sampleErrors = 0;
  let lastError: string | undefined;
  let latest: Record<string, unknown> | undefined;

  async function sample(): Promise<void> {
    let row: Record<string, string | number>;
    let activity: { state: string; n: number }[];
    try {
      row = (await pool.query<Record<string, string | number>>(DATABASE_STATS)).rows[0];
      activity = (await pool.query<{ state: string; n: number }>(ACTIVITY)).rows;
      if (row === undefined) throw new Error('pg_stat_database has no row for the current database');
    } catch (error) {
      sampleErrors += 1;
      lastError = (error as Error).message;
      telemetry.metrics.gauge('postgresql.up', 0, attrs);
      telemetry.logs.error('cannot read PostgreSQL statistics', { url: redactUrl(url), error: lastError });
      return;
    }
    attrs['db.name'] = String(row.datname);
    const { metrics } = telemetry;
    metrics.gauge('postgresql.up', 1, attrs);
    metrics.gauge('postgresql.backends', Number(row.numbackends), attrs, { unit: '{connection}' });
    metrics.gauge('postgresql.database.size', Number(row.size_bytes), attrs, { unit: 'By' });
    for (const { state, n } of activity) {
      metrics.gauge('postgresql.connections', n, { ...attrs, state }, { unit: '{connection}' });
    }
    const current = Object.fromEntries(COUNTERS.map((c) => [c, Number(row[c])])) as Record<Counter, number>;
    if (previous !== undefined) {
      // A statistics reset makes a counter go down: what it counts since the reset is its new value.
      const delta = (c: Counter): number =>
        current[c] >= previous![c] ? current[c] - previous![c] : current[c];
      const changed = Object.fromEntries(COUNTERS.map((c) => [c, delta(c)])) as Record<Counter, number>;
      for (const c of COUNTERS) totals[c] += changed[c];
      metrics.counter('postgresql.transactions', changed.xact_commit, { ...attrs, outcome: 'commit' });
      metrics.counter('postgresql.transactions', changed.xact_rollback, { ...attrs, outcome: 'rollback' });
      metrics.counter('postgresql.blocks', changed.blks_read, { ...attrs, source: 'disk' });
      metrics.counter('postgresql.blocks', changed.blks_hit, { ...attrs, source: 'cache' });
      for (const op of ['returned', 'fetched', 'inserted', 'updated', 'deleted'] as const) {
        metrics.counter('postgresql.tuples', changed[`tup_${op}`], { ...attrs, operation: op });
      }
      metrics.counter('postgresql.deadlocks', changed.deadlocks, attrs);
      const blocks = changed.blks_read + changed.blks_hit;
      if (blocks > 0) metrics.gauge('postgresql.blocks.hit_ratio', changed.blks_hit / blocks, attrs);
    }
    previous = current;
    samples += 1;
    latest = {
      database: row.datname,
      backends: Number(row.numbackends),
      sizeBytes: Number(row.size_bytes),
      connections: Object.fromEntries(activity.map(({ state, n }) => [state, n])),
    };
  }

  return {
    sample,
    details: () => ({
      mode: 'postgresql',
      url: redactUrl(url),
      samples,
      sampleErrors,
      ...(lastError === undefined ? {} : { lastError }),
      latest: latest ?? null,
      /** What changed in the cumulative counters since the first sample. */
      sinceStart: { ...totals },
    }),
    close: () => pool.end(),
  };
}
