// effectively-once into SQLite (node:sqlite): the handler writes through the sink's DatabaseSync inside a
// transaction that also upserts the consumed offsets, so both land or neither does.
//
// One connection serves one transaction at a time: handlers may await between statements, so transactions
// are queued here rather than nested on the connection.
import { DatabaseSync } from 'node:sqlite';
import type { TopicPartition, TopicPartitionOffset } from './bus.ts';
import { checkSavepoint, checkTableName, createOffsetsTable, DEFAULT_OFFSETS_TABLE } from './sql.ts';
import { SinkError, type SinkTransaction, type TransactionalSink } from './types.ts';

export interface SqliteSinkOptions {
  /** A database file to open (WAL journal): the sink closes it on close(). */
  path?: string;
  /** Or a connection the caller owns (and closes). */
  database?: DatabaseSync;
  /** Default `sluice_consumer_offsets`. */
  offsetsTable?: string;
}

export class SqliteSink implements TransactionalSink<DatabaseSync> {
  readonly kind = 'sqlite';
  readonly database: DatabaseSync;
  readonly #table: string;
  readonly #owned: boolean;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: SqliteSinkOptions) {
    if ((options.path === undefined) === (options.database === undefined)) {
      throw new SinkError('sqliteSink needs exactly one of path or database');
    }
    this.#table = checkTableName(options.offsetsTable ?? DEFAULT_OFFSETS_TABLE, false);
    this.#owned = options.database === undefined;
    if (options.database) {
      this.database = options.database;
    } else {
      try {
        this.database = new DatabaseSync(options.path!);
      } catch (error) {
        throw new SinkError(`cannot open SQLite database ${options.path}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      // WAL with synchronous=NORMAL survives a process crash with every commit; after a power loss the last
      // commits may go, but data and offsets go together, which keeps the semantic.
      this.database.exec(
        'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000',
      );
    }
  }

  init(): Promise<void> {
    try {
      this.database.exec(createOffsetsTable(this.#table, 'INTEGER', 'INTEGER'));
    } catch (error) {
      return Promise.reject(
        new SinkError(`cannot create ${this.#table}: ${(error as Error).message}`, { cause: error }),
      );
    }
    return Promise.resolve();
  }

  readOffsets(group: string, partitions: TopicPartition[]): Promise<TopicPartitionOffset[]> {
    const select = this.database.prepare(
      `SELECT next_offset FROM ${this.#table} WHERE consumer_group = ? AND topic = ? AND partition = ?`,
    );
    select.setReadBigInts(true);
    const out: TopicPartitionOffset[] = [];
    for (const { topic, partition } of partitions) {
      const row = select.get(group, topic, partition) as { next_offset: bigint } | undefined;
      if (row) out.push({ topic, partition, offset: row.next_offset });
    }
    return Promise.resolve(out);
  }

  transaction<T>(work: (tx: SinkTransaction<DatabaseSync>) => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => this.#run(work));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #run<T>(work: (tx: SinkTransaction<DatabaseSync>) => Promise<T>): Promise<T> {
    const db = this.database;
    const upsert = db.prepare(
      `INSERT INTO ${this.#table} (consumer_group, topic, partition, next_offset, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at`,
    );
    const tx: SinkTransaction<DatabaseSync> = {
      context: db,
      savepoint: (name) => Promise.resolve(void db.exec(`SAVEPOINT ${checkSavepoint(name)}`)),
      rollbackTo: (name) => Promise.resolve(void db.exec(`ROLLBACK TO ${checkSavepoint(name)}`)),
      release: (name) => Promise.resolve(void db.exec(`RELEASE ${checkSavepoint(name)}`)),
      storeOffsets: (group, offsets) => {
        for (const o of offsets) upsert.run(group, o.topic, o.partition, o.offset, Date.now());
        return Promise.resolve();
      },
    };
    db.exec('BEGIN IMMEDIATE');
    let result: T;
    try {
      result = await work(tx);
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
    return result;
  }

  async close(): Promise<void> {
    await this.#queue;
    if (this.#owned && this.database.isOpen) this.database.close();
  }
}

export function sqliteSink(options: SqliteSinkOptions): SqliteSink {
  return new SqliteSink(options);
}
