// `sluice up`: load and resolve the topology, start every bus and component under the supervisor, serve
// the control API, write <dataDir>/run/supervisor.json, and on SIGINT/SIGTERM stop everything in order.
import path from 'node:path';
import { CommandError } from '../cli/command-error.ts';
import { services } from '../services/registry.ts';
import { loadTopology } from '../topology/load.ts';
import { resolveTopology, writeResolvedTopology } from '../topology/resolve.ts';
import { startControlServer } from './control-server.ts';
import { createLiveView } from './live-view.ts';
import { readRunFile, removeRunFile, writeRunFile } from './run-file.ts';
import { startSupervisor } from './supervisor.ts';

export interface UpOptions {
  config?: string;
  dataDir?: string;
}

export async function runUp(options: UpOptions): Promise<void> {
  const { topology } = await loadTopology(options.config);
  // Two supervisors on one data dir would run two brokers on the same logs.
  const running = await readRunFile(options.dataDir ?? topology.dataDir, 'sluice up').catch(() => undefined);
  if (running !== undefined)
    throw new CommandError(
      `sluice up: already running with data dir ${path.resolve(options.dataDir ?? topology.dataDir)} (supervisor pid ${running.pid}); stop it first or use another --data-dir`,
      1,
    );
  const resolved = await resolveTopology(
    topology,
    options.dataDir === undefined ? {} : { dataDir: options.dataDir },
  );
  const topologyFile = await writeResolvedTopology(resolved);

  // From here on a signal means "stop": remember it even while things are still starting.
  // Handlers stay installed: `npm start` passes the terminal's Ctrl-C on a second time, and a default
  // handler would then kill this process before it stopped its children in order.
  const stopRequested = new Promise<string>((resolve) => {
    process.on('SIGINT', () => resolve('SIGINT'));
    process.on('SIGTERM', () => resolve('SIGTERM'));
    // The terminal went away: stop as cleanly as for Ctrl-C, with nowhere left to print.
    process.on('SIGHUP', () => resolve('SIGHUP'));
  });
  process.stdout.on('error', () => undefined);

  const view = createLiveView();
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const header: string[] = [];
  const dashboard = Object.entries(resolved.components).find(
    ([, c]) => c.kind === 'dashboard' && c.enabled && services.dashboard !== undefined,
  );
  if (dashboard !== undefined) header.push(`dashboard: http://127.0.0.1:${dashboard[1].httpPort}/`);
  header.forEach(out);
  out(`data dir: ${resolved.dataDir} (logs in run/logs/)`);

  const supervisor = await startSupervisor(resolved, { topologyFile, onEvent: (n, m) => view.event(n, m) });
  const control = await startControlServer(supervisor);
  await writeRunFile(resolved.dataDir, { pid: process.pid, controlPort: control.port, topologyFile });
  out(`sluice up: running; control API on http://127.0.0.1:${control.port}/api/v1/components`);
  out('try: sluice status, sluice chaos stop metrics, sluice chaos start metrics; Ctrl-C stops everything');
  header.push(`control API: http://127.0.0.1:${control.port}/api/v1/components   (Ctrl-C stops everything)`);
  view.attach(supervisor, header);

  const signal = await stopRequested;
  view.close();
  out(`sluice up: ${signal}: stopping components, then buses`);
  await supervisor.stop();
  await control.close();
  await removeRunFile(resolved.dataDir);
  out('sluice up: stopped');
}
