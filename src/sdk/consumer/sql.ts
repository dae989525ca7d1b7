// SQL shared by the sinks: identifier checks (a table name is spliced into SQL, so it must be a plain
// identifier) and the offsets table they both keep.
import { SinkError } from './types.ts';

export const DEFAULT_OFFSETS_TABLE = 'sluice_consumer_offsets';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** `name` or, when `qualified`, `schema.name`; each part a plain SQL identifier. */
export function checkTableName(name: string, qualified: boolean): string {
  const parts = name.split('.');
  const ok = parts.length <= (qualified ? 2 : 1) && parts.every((p) => IDENTIFIER.test(p));
  if (!ok) {
    throw new SinkError(
      `offsets table ${JSON.stringify(name)} must be a plain identifier${qualified ? ' (optionally schema.table)' : ''}: letters, digits, _`,
    );
  }
  return name;
}

export function checkSavepoint(name: string): string {
  if (!IDENTIFIER.test(name))
    throw new SinkError(`savepoint name ${JSON.stringify(name)} is not a plain identifier`);
  return name;
}

/** The offsets table: one row per (group, topic, partition); next_offset is the next offset to consume. */
export function createOffsetsTable(table: string, bigint: string, timestamp: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  consumer_group TEXT NOT NULL,
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  next_offset ${bigint} NOT NULL,
  updated_at ${timestamp},
  PRIMARY KEY (consumer_group, topic, partition)
)`;
}
