// One component as its own process, for analytics-crash.test.ts (killed with SIGKILL and restarted):
//   node analytics-child.ts <resolved topology JSON file> <component name>
// Prints "listening <port>" once the component serves HTTP; SIGTERM stops it gracefully (exit 0).
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { startComponent } from '../../src/services/start-component.ts';
import { topology } from '../../src/topology/schema.ts';

const [file, name] = process.argv.slice(2) as [string, string];
// The file is a resolved topology (its `resolved` flag is not part of the schema).
const { resolved: _flag, ...input } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const resolved = { ...topology.parse(input), resolved: true as const };
const running = await startComponent(resolved, name, {
  logger: pino({ level: 'warn' }, pino.destination(2)),
});
process.stdout.write(`listening ${running.httpPort}\n`);
process.once('SIGTERM', () => {
  running.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`stop failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
});
