// Starts one component in this process: its registry, its HTTP endpoint (/healthz, /metrics, /status, then
// the service's own routes) and its main. Used by `sluice service` and by the tests.
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import type { ResolvedTopology } from '../topology/schema.ts';
import { services } from './registry.ts';
import type {
  ComponentStatus,
  RunningComponent,
  ServiceContext,
  ServiceHandle,
  ServiceMain,
} from './runtime.ts';
import { readComponentMetrics } from './status-from-metrics.ts';

export interface StartComponentOptions {
  logger?: Logger;
  /** Overrides the registry lookup (tests of a service not registered yet, or a fake). */
  main?: ServiceMain;
  /** Default `<topology.dataDir>/components/<name>`. */
  dataDir?: string;
}

export async function startComponent(
  topology: ResolvedTopology,
  name: string,
  options: StartComponentOptions = {},
): Promise<RunningComponent> {
  const component = topology.components[name];
  if (component === undefined) throw new Error(`topology has no component named '${name}'`);
  const load = services[component.kind];
  const main = options.main ?? (load === undefined ? undefined : await load());
  if (main === undefined) throw new Error(`no service implements components of kind '${component.kind}'`);
  const dataDir = options.dataDir ?? path.join(topology.dataDir, 'components', name);
  mkdirSync(dataDir, { recursive: true });
  const logger =
    options.logger?.child({ component: name }) ?? pino({ base: { pid: process.pid, component: name } });
  const registry = new Registry();
  const context: ServiceContext = { name, component, topology, dataDir, logger, registry };
  const startedAt = new Date().toISOString();
  let handle: ServiceHandle | undefined;

  const status = async (): Promise<ComponentStatus> => ({
    component: name,
    kind: component.kind,
    pid: process.pid,
    startedAt,
    ...(await readComponentMetrics(registry)),
    details: (await handle?.details?.()) ?? {},
  });

  const server = http.createServer((req, res) => {
    void serve(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url }, 'request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });
  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/healthz') {
      res.writeHead(handle === undefined ? 503 : 200, { 'content-type': 'text/plain' });
      res.end(handle === undefined ? 'starting\n' : 'ok\n');
      return;
    }
    if (req.method === 'GET' && url.pathname === '/metrics') {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(await registry.metrics());
      return;
    }
    if (req.method === 'GET' && url.pathname === '/status') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(await status()));
      return;
    }
    for (const route of handle?.routes ?? []) if (await route(req, res, url)) return;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(component.httpPort, '127.0.0.1', () => resolve());
  });
  const httpPort = (server.address() as AddressInfo).port;
  try {
    handle = await main(context);
  } catch (err) {
    server.close();
    throw err;
  }
  const started = handle;
  let stopping: Promise<void> | undefined;
  return {
    name,
    httpPort,
    status,
    stop: () =>
      (stopping ??= (async () => {
        await started.stop();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })()),
  };
}
