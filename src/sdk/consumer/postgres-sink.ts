// effectively-once into PostgreSQL (pg): each transaction takes a client from the pool; the handler writes
// through that client, and the consumed offsets are upserted before COMMIT on the same client.
import pg from 'pg';
import type { TopicPartition, TopicPartitionOffset } from './bus.ts';
import { checkSavepoint, checkTableName, createOffsetsTable, DEFAULT_OFFSETS_TABLE } from './sql.ts';
import { SinkError, type SinkTransaction, type TransactionalSink } from './types.ts';

export interface PostgresSinkOptions {
  /** A pool the caller owns (and ends). */
  pool?: pg.Pool;
  /** Or how to make one (the sink ends it on close()). */
  connection?: pg.PoolConfig;
  /** Default `sluice_consumer_offsets`; may be schema-qualified (`analytics.consumer_offsets`). */
  offsetsTable?: string;
}

// Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog: the table exists either way.
const ALREADY_EXISTS = new Set(['23505', '42P07']);

export class PostgresSink implements TransactionalSink<pg.PoolClient> {
  readonly kind = 'postgresql';
  readonly pool: pg.Pool;
  readonly #table: string;
  readonly #owned: boolean;

  constructor(options: PostgresSinkOptions) {
    if ((options.pool === undefined) === (options.connection === undefined)) {
      throw new SinkError('postgresSink needs exactly one of pool or connection');
    }
    this.#table = checkTableName(options.offsetsTable ?? DEFAULT_OFFSETS_TABLE, true);
    this.#owned = options.pool === undefined;
    this.pool = options.pool ?? new pg.Pool(options.connection);
    // An idle pooled connection that drops (a database restart) is reported on the pool; without a listener
    // that 'error' would end the process. The pool discards the client; the next transaction reconnects.
    if (this.#owned) this.pool.on('error', () => {});
  }

  async init(): Promise<void> {
    try {
      await this.pool.query(createOffsetsTable(this.#table, 'BIGINT', 'TIMESTAMPTZ DEFAULT now()'));
    } catch (error) {
      if (ALREADY_EXISTS.has((error as { code?: string }).code ?? '')) return;
      throw new SinkError(`cannot create ${this.#table}: ${(error as Error).message}`, { cause: error });
    }
  }

  async readOffsets(group: string, partitions: TopicPartition[]): Promise<TopicPartitionOffset[]> {
    const topics = [...new Set(partitions.map((p) => p.topic))];
    const { rows } = await this.pool.query<{ topic: string; partition: number; next_offset: string }>(
      `SELECT topic, partition, next_offset FROM ${this.#table} WHERE consumer_group = $1 AND topic = ANY($2)`,
      [group, topics],
    );
    const wanted = new Set(partitions.map((p) => `${p.topic}\u0000${p.partition}`));
    return rows
      .filter((r) => wanted.has(`${r.topic}\u0000${r.partition}`))
      .map((r) => ({ topic: r.topic, partition: r.partition, offset: BigInt(r.next_offset) }));
  }

  async transaction<T>(work: (tx: SinkTransaction<pg.PoolClient>) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A connection lost while checked out is reported on the client, and unhandled it would end the
    // process: the failing query rejects anyway, so note it and drop the client instead of reusing it.
    let broken = false;
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    const tx: SinkTransaction<pg.PoolClient> = {
      context: client,
      savepoint: async (name) => void (await client.query(`SAVEPOINT ${checkSavepoint(name)}`)),
      rollbackTo: async (name) => void (await client.query(`ROLLBACK TO SAVEPOINT ${checkSavepoint(name)}`)),
      release: async (name) => void (await client.query(`RELEASE SAVEPOINT ${checkSavepoint(name)}`)),
      storeOffsets: async (group, offsets) => {
        for (const o of offsets) {
          await client.query(
            `INSERT INTO ${this.#table} (consumer_group, topic, partition, next_offset, updated_at)
             VALUES ($1, $2, $3, $4, now())
             ON CONFLICT (consumer_group, topic, partition)
             DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at`,
            [group, o.topic, o.partition, o.offset.toString()],
          );
        }
      },
    };
    try {
      await client.query('BEGIN');
      const result = await work(tx);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection is unusable: drop it instead of returning it to the pool
      }
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.#owned) await this.pool.end();
  }
}

export function postgresSink(options: PostgresSinkOptions): PostgresSink {
  return new PostgresSink(options);
}
