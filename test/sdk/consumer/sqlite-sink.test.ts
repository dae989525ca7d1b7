// The SQLite sink against real node:sqlite database files.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { test, type TestContext } from 'node:test';
import { sqliteSink, type SqliteSink } from '../../../src/sdk/consumer/sqlite-sink.ts';
import { SinkError } from '../../../src/sdk/consumer/types.ts';
import {
  commitsWritesAndOffsetsTogether,
  resumesFromTheSink,
  rollsBackWritesAndOffsetsTogether,
  type SinkUnderTest,
} from './sinks.ts';

async function open(
  t: TestContext,
): Promise<SinkUnderTest<DatabaseSync> & { path: string; sink: SqliteSink }> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-sqlite-sink-'));
  const path = join(dir, 'sink.db');
  const sink = sqliteSink({ path });
  sink.database.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY AUTOINCREMENT, value TEXT NOT NULL)');
  t.after(async () => {
    await sink.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    path,
    sink,
    insert: (db, value) => Promise.resolve(void db.prepare('INSERT INTO rows (value) VALUES (?)').run(value)),
    rows: () =>
      Promise.resolve(
        (sink.database.prepare('SELECT value FROM rows ORDER BY id').all() as { value: string }[]).map(
          (r) => r.value,
        ),
      ),
  };
}

test('sqlite: writes and offsets commit together', async (t) => {
  await commitsWritesAndOffsetsTogether(await open(t));
});

test('sqlite: a failed transaction rolls back writes and offsets; a savepoint undoes one record', async (t) => {
  await rollsBackWritesAndOffsetsTogether(await open(t));
});

test('sqlite: consume() resumes from the offsets stored with the data', async (t) => {
  await resumesFromTheSink(await open(t));
});

test('sqlite: concurrent transactions are queued on the one connection, not nested', async (t) => {
  const s = await open(t);
  await s.sink.init();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const first = s.sink.transaction(async (tx) => {
    await s.insert(tx.context, 'first');
    await gate;
  });
  const second = s.sink.transaction((tx) => s.insert(tx.context, 'second'));
  release();
  await Promise.all([first, second]);
  assert.deepEqual(await s.rows(), ['first', 'second']);
});

test('sqlite: bad options are refused with SinkError', async (t) => {
  const s = await open(t);
  assert.throws(() => sqliteSink({}), SinkError);
  assert.throws(
    () => sqliteSink({ path: s.path, database: s.sink.database }),
    /exactly one of path or database/,
  );
  assert.throws(() => sqliteSink({ path: s.path, offsetsTable: 'x; DROP TABLE rows' }), /plain identifier/);
  assert.throws(
    () => sqliteSink({ path: join(s.path, 'no', 'such', 'dir.db') }),
    /cannot open SQLite database/,
  );
});
