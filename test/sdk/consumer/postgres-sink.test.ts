// The PostgreSQL sink against the real server on 127.0.0.1:5432 (database `test`); each test works in a
// schema of its own, dropped afterwards.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { postgresSink } from '../../../src/sdk/consumer/postgres-sink.ts';
import { SinkError } from '../../../src/sdk/consumer/types.ts';
import {
  commitsWritesAndOffsetsTogether,
  resumesFromTheSink,
  rollsBackWritesAndOffsetsTogether,
  type SinkUnderTest,
} from './sinks.ts';

const CONNECTION = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};

async function open(t: TestContext): Promise<SinkUnderTest<pg.PoolClient>> {
  const schema = `sluice_test_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool(CONNECTION);
  await pool.query(`CREATE SCHEMA ${schema}`);
  await pool.query(`CREATE TABLE ${schema}.rows (id SERIAL PRIMARY KEY, value TEXT NOT NULL)`);
  const sink = postgresSink({ pool, offsetsTable: `${schema}.consumer_offsets` });
  t.after(async () => {
    await sink.close();
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  });
  return {
    sink,
    insert: async (client, value) =>
      void (await client.query(`INSERT INTO ${schema}.rows (value) VALUES ($1)`, [value])),
    rows: async () =>
      (await pool.query<{ value: string }>(`SELECT value FROM ${schema}.rows ORDER BY id`)).rows.map(
        (r) => r.value,
      ),
  };
}

test('postgresql: writes and offsets commit together', async (t) => {
  await commitsWritesAndOffsetsTogether(await open(t));
});

test('postgresql: a failed transaction rolls back writes and offsets; a savepoint undoes one record', async (t) => {
  await rollsBackWritesAndOffsetsTogether(await open(t));
});

test('postgresql: consume() resumes from the offsets stored with the data', async (t) => {
  await resumesFromTheSink(await open(t));
});

test('postgresql: init() run by two sinks at once creates the table once', async (t) => {
  const schema = `sluice_test_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool(CONNECTION);
  await pool.query(`CREATE SCHEMA ${schema}`);
  t.after(async () => {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  });
  const sinks = [1, 2, 3].map(() => postgresSink({ pool, offsetsTable: `${schema}.offsets` }));
  await Promise.all(sinks.map((s) => s.init()));
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.offsets`);
  assert.deepEqual(rows, [{ n: 0 }]);
});

test('postgresql: bad options are refused with SinkError', () => {
  assert.throws(() => postgresSink({}), SinkError);
  assert.throws(() => postgresSink({ connection: CONNECTION, offsetsTable: 'a.b.c' }), /plain identifier/);
  assert.throws(() => postgresSink({ connection: CONNECTION, offsetsTable: 'x"; --' }), /plain identifier/);
});

test('a connection the server drops (idle in the pool, or in the middle of a transaction) fails that transaction only; the next one reconnects', async () => {
  const schema = `sluice_test_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client(CONNECTION);
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  // Its own application_name, so only this sink's connections are terminated (other tests share the server).
  const application_name = schema;
  const sink = postgresSink({
    connection: { ...CONNECTION, application_name },
    offsetsTable: `${schema}.consumer_offsets`,
  });
  const terminateSinkConnections = async (): Promise<number> => {
    const { rows } = await admin.query<{ pid: number }>(
      'SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity WHERE application_name = $1',
      [application_name],
    );
    return rows.length;
  };
  try {
    await sink.init();
    await sink.transaction(async (tx) => tx.storeOffsets('g', [{ topic: 't', partition: 0, offset: 1n }]));
    // Idle in the pool: without a listener the pool's 'error' would end this process.
    assert.ok((await terminateSinkConnections()) >= 1);
    await waitForIdleDrop(sink.pool);
    // Checked out: the query fails, the process lives on.
    await assert.rejects(
      sink.transaction(async (tx) => {
        await terminateSinkConnections();
        await tx.context.query('SELECT 1');
      }),
    );
    await sink.transaction(async (tx) => tx.storeOffsets('g', [{ topic: 't', partition: 0, offset: 2n }]));
    assert.deepEqual(await sink.readOffsets('g', [{ topic: 't', partition: 0 }]), [
      { topic: 't', partition: 0, offset: 2n },
    ]);
  } finally {
    await sink.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
});

/** Until the pool has noticed its idle connection died (it removes the client from idleCount). */
async function waitForIdleDrop(pool: pg.Pool): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (pool.idleCount > 0) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the pool to drop its dead connection');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
