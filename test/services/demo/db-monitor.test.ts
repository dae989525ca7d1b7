import assert from 'node:assert/strict';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import pg from 'pg';
import type { MetricEnvelope } from '../../../src/sdk/index.ts';
import { startTestBroker } from '../../helpers/broker.ts';
import { createTopicOn } from '../../helpers/target.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { counterSum, demoTopology, details, readEnvelopes, start, type ReadRecord } from './demo-topology.ts';

const POSTGRES_URL = process.env.SLUICE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface SqliteDetails {
  mode: string;
  file: string;
  queries: Record<string, number>;
  failures: number;
  stats: {
    rows: number;
    pageCount: number;
    pageSize: number;
    freelistPages: number;
    walBytes: number;
  } | null;
}

function gauges(records: ReadRecord[], name: string): number[] {
  return records
    .map(({ envelope }) => envelope)
    .filter(
      (e): e is MetricEnvelope => e.kind === 'metric' && e.data.name === name && e.data.type === 'gauge',
    )
    .map((e) => (e.data.type === 'gauge' ? e.data.value : NaN));
}

test('db-monitor reports the real row count and page statistics of its SQLite database', async (t) => {
  const broker = await startTestBroker(t);
  const setup = await demoTopology(
    t,
    broker.bootstrap,
    { db: { kind: 'db-monitor', rate: 0, exportIntervalMs: 200 } },
    (topic, partitions) => createTopicOn(broker.bootstrap, topic, partitions),
  );
  const running = await start(t, setup, 'db');
  const first = await details<SqliteDetails>(running);
  assert.equal(first.mode, 'sqlite');
  assert.equal(first.file, path.join(setup.dir, 'components', 'db', 'shop.sqlite'));
  assert.equal(first.stats?.rows, 0);

  // Someone else writes to the database: the monitor sees what is really there, not what it did itself.
  const db = new DatabaseSync(first.file);
  t.after(() => db.close());
  const insert = db.prepare('INSERT INTO orders (customer, amount, status, created_at) VALUES (?, ?, ?, ?)');
  for (let i = 0; i < 1234; i++) insert.run(`c-${i % 50}`, i / 10, 'placed', Date.now());
  const seen = await waitFor(
    async () => {
      const d = await details<SqliteDetails>(running);
      return d.stats?.rows === 1234 ? d.stats : undefined;
    },
    { what: 'db-monitor to report 1234 rows' },
  );
  const pragma = (name: string) => Number(Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0]);
  assert.equal(seen.pageSize, pragma('page_size'));
  assert.ok(seen.pageCount > 1, `${seen.pageCount} pages`);
  assert.ok(seen.walBytes > 0, 'the WAL holds the inserts');

  await running.stop();
  const metrics = await readEnvelopes(broker.bootstrap, setup.topics.metrics);
  assert.ok(gauges(metrics, 'db.rows').includes(1234), `db.rows: ${gauges(metrics, 'db.rows').join(',')}`);
  assert.ok(gauges(metrics, 'db.page_size').includes(pragma('page_size')));
  assert.equal(gauges(metrics, 'db.rows').at(-1), 1234);
});

test('db-monitor runs its workload against SQLite at the given rate and times each query', async (t) => {
  const broker = await startTestBroker(t);
  const setup = await demoTopology(
    t,
    broker.bootstrap,
    { db: { kind: 'db-monitor', rate: 300, seed: 3, exportIntervalMs: 200 } },
    (topic, partitions) => createTopicOn(broker.bootstrap, topic, partitions),
  );
  const running = await start(t, setup, 'db');
  await waitFor(async () => ((await details<SqliteDetails>(running)).queries.insert ?? 0) >= 100, {
    what: 'db-monitor to run 100 inserts',
  });
  await running.stop();
  const last = await details<SqliteDetails>(running);
  const db = new DatabaseSync(last.file, { readOnly: true });
  t.after(() => db.close());
  const rows = Number((db.prepare('SELECT count(*) AS n FROM orders').get() as { n: number }).n);
  assert.equal(last.stats?.rows, rows);
  assert.equal(last.failures, 0);

  const metrics = await readEnvelopes(broker.bootstrap, setup.topics.metrics);
  const queries = Object.values(last.queries).reduce((a, b) => a + b, 0);
  assert.equal(counterSum(metrics, 'db.queries'), queries);
  assert.equal(counterSum(metrics, 'db.queries', { operation: 'insert' }), last.queries.insert);
  let timed = 0;
  for (const { envelope } of metrics) {
    if (
      envelope.kind === 'metric' &&
      envelope.data.type === 'histogram' &&
      envelope.data.name === 'db.query.duration'
    )
      timed += envelope.data.count;
  }
  assert.equal(timed, queries);
});

interface PostgresDetails {
  mode: string;
  url: string;
  samples: number;
  sampleErrors: number;
  latest: { database: string; backends: number; sizeBytes: number } | null;
  sinceStart: Record<string, number>;
}

test('db-monitor reads pg_stat_database of a PostgreSQL: commits and inserted tuples as they happen', async (t) => {
  const broker = await startTestBroker(t);
  const setup = await demoTopology(
    t,
    broker.bootstrap,
    { db: { kind: 'db-monitor', postgresUrl: POSTGRES_URL, exportIntervalMs: 200 } },
    (topic, partitions) => createTopicOn(broker.bootstrap, topic, partitions),
  );
  const running = await start(t, setup, 'db');
  await waitFor(async () => (await details<PostgresDetails>(running)).samples >= 2, {
    what: 'two samples of pg_stat_database',
  });

  const table = `sluice_demo_test_${process.pid}_${Date.now()}`;
  const sql = async (...statements: string[]) => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      for (const statement of statements) await client.query(statement);
    } finally {
      // A backend flushes its statistics when it exits (or at most every second while busy).
      await client.end();
    }
  };
  // The table outlives the inserting session: PostgreSQL drops a table's unflushed counts with it.
  t.after(() => sql(`DROP TABLE IF EXISTS ${table}`));
  await sql(`CREATE TABLE ${table} (id int)`, `INSERT INTO ${table} SELECT generate_series(1, 777)`);

  const seen = await waitFor(
    async () => {
      const d = await details<PostgresDetails>(running);
      return (d.sinceStart.tup_inserted ?? 0) >= 777 && (d.sinceStart.xact_commit ?? 0) >= 2 ? d : undefined;
    },
    { what: 'the monitor to see 777 inserted tuples and 2 commits' },
  );
  assert.equal(seen.mode, 'postgresql');
  assert.equal(seen.sampleErrors, 0);
  assert.equal(seen.latest?.database, new URL(POSTGRES_URL).pathname.slice(1));
  assert.ok((seen.latest?.backends ?? 0) >= 1);
  assert.ok((seen.latest?.sizeBytes ?? 0) > 0);

  await running.stop();
  const last = await details<PostgresDetails>(running);
  const metrics = await readEnvelopes(broker.bootstrap, setup.topics.metrics);
  assert.equal(
    counterSum(metrics, 'postgresql.tuples', { operation: 'inserted' }),
    last.sinceStart.tup_inserted,
  );
  assert.equal(
    counterSum(metrics, 'postgresql.transactions', { outcome: 'commit' }),
    last.sinceStart.xact_commit,
  );
  assert.ok(gauges(metrics, 'postgresql.database.size').every((v) => v > 0));
  assert.ok(gauges(metrics, 'postgresql.up').includes(1));
});

test('db-monitor keeps running and reports the error when its PostgreSQL is unreachable', async (t) => {
  const broker = await startTestBroker(t);
  const setup = await demoTopology(
    t,
    broker.bootstrap,
    {
      db: {
        kind: 'db-monitor',
        postgresUrl: 'postgres://nobody:secret@127.0.0.1:1/none',
        exportIntervalMs: 200,
      },
    },
    (topic, partitions) => createTopicOn(broker.bootstrap, topic, partitions),
  );
  const running = await start(t, setup, 'db');
  const failing = await waitFor(
    async () => {
      const d = await details<PostgresDetails & { lastError?: string }>(running);
      return d.sampleErrors >= 2 ? d : undefined;
    },
    { what: 'two failed samples' },
  );
  assert.equal(failing.samples, 0);
  assert.match(failing.lastError ?? '', /ECONNREFUSED|connect/);
  assert.equal(failing.url, 'postgres://nobody:***@127.0.0.1:1/none');
  await running.stop();
  const logs = await readEnvelopes(broker.bootstrap, setup.topics.logs);
  assert.ok(logs.some(({ envelope }) => envelope.kind === 'log' && envelope.data.level === 'error'));
  for (const { envelope } of logs) assert.doesNotMatch(JSON.stringify(envelope), /secret/);
});
