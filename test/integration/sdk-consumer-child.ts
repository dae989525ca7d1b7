// A consumer process for sdk-consumer-semantics.test.ts, killed with SIGKILL and restarted by the test:
//   node sdk-consumer-child.ts <bootstrap> <topic> <group> <semantics> <sqlite file> [groupInstanceId]
// With a groupInstanceId the child is a static member: restarted with the same id after a SIGKILL, it takes
// its partitions back at once instead of waiting for the group to expire the killed member.
// Each record's value is JSON {"id": n}; the handler inserts (id, partition, offset) into `processed` in the
// SQLite file (no unique key: duplicates stay countable). effectively-once inserts through the sink's
// transaction, the others with autocommit. Prints "handled <n>" every 25 records; SIGTERM stops gracefully.
// Prints "ready" once loaded and starts consuming when a line "go" arrives on stdin: the test loads the next
// child while the current one works, so a restart is not held up by process start-up.
import { DatabaseSync } from 'node:sqlite';
import { Registry } from 'prom-client';
import { consume } from '../../src/sdk/consumer/runner.ts';
import { sqliteSink } from '../../src/sdk/consumer/sqlite-sink.ts';
import { NonRetriableError, type Semantics } from '../../src/sdk/consumer/types.ts';
import type { IncomingRecord } from '../../src/sdk/kafka-client.ts';

const [bootstrap, topic, group, semantics, file, groupInstanceId] = process.argv.slice(2) as [
  string,
  string,
  string,
  Semantics,
  string,
  string | undefined,
];
const db = new DatabaseSync(file);
// busy_timeout first: children loaded ahead open the file while another one writes to it.
db.exec('PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
db.exec(
  'CREATE TABLE IF NOT EXISTS processed (id INTEGER NOT NULL, partition INTEGER NOT NULL, "offset" INTEGER NOT NULL)',
);
const insert = db.prepare('INSERT INTO processed (id, partition, "offset") VALUES (?, ?, ?)');

let handled = 0;
function record(r: IncomingRecord): void {
  let id: unknown;
  try {
    id = (JSON.parse(r.value?.toString() ?? '') as { id?: unknown }).id;
  } catch (error) {
    throw new NonRetriableError(`not JSON: ${(error as Error).message}`);
  }
  if (!Number.isInteger(id)) throw new NonRetriableError('wrong schema: id must be an integer');
  insert.run(id as number, r.partition, r.offset);
  if (++handled % 25 === 0) process.stdout.write(`handled ${handled}\n`);
}

const common = {
  bus: { bootstrap: bootstrap.split(',') },
  topic,
  group,
  sessionTimeoutMs: 6000,
  heartbeatIntervalMs: 500,
  ...(groupInstanceId === undefined ? {} : { groupInstanceId }),
  metrics: new Registry(),
  lagIntervalMs: 0,
  retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 10 },
  deadLetterTopic: `${topic}.dlq`,
};
process.stdout.write('ready\n');
await new Promise<void>((resolve) => {
  let input = '';
  process.stdin.setEncoding('utf8').on('data', (s: string) => {
    input += s;
    if (/^go$/m.test(input)) resolve();
  });
});
process.stdin.destroy();
const handle =
  semantics === 'effectively-once'
    ? await consume<DatabaseSync>({
        ...common,
        semantics,
        sink: sqliteSink({ database: db }),
        handler: (r) => record(r), // `insert` is on the sink's connection: it joins the transaction
      })
    : await consume({ ...common, semantics, handler: (r) => record(r) });
process.stdout.write('started\n');

process.once('SIGTERM', () => {
  handle.stop().then(
    () => {
      process.stdout.write(`stopped after ${handled}\n`);
      db.close();
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`stop failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
});
handle.done.catch((error: unknown) => {
  process.stderr.write(`consumer failed: ${String(error)}\n`);
  process.exit(2);
});
