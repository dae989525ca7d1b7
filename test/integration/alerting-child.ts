// The alerting component as a child process for alerting-exactly-once.test.ts (until `sluice service` is
// available): node alerting-child.ts <resolved topology JSON file>. Prints "ready <http port>"; SIGTERM stops
// it cleanly. SLUICE_ALERTING_FAULT (src/services/alerting/faults.ts) makes it SIGKILL itself.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { startComponent } from '../../src/services/start-component.ts';
import type { ResolvedTopology } from '../../src/topology/schema.ts';

const topology = JSON.parse(readFileSync(process.argv[2], 'utf8')) as ResolvedTopology;
const running = await startComponent(topology, 'alerts', {
  logger: pino({ level: 'warn' }, pino.destination(2)),
});
process.stdout.write(`ready ${running.httpPort}\n`);
process.once('SIGTERM', () => {
  void running.stop().then(() => process.exit(0));
});
