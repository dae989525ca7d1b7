// The supervisor's control API on 127.0.0.1: GET /api/v1/components lists every bus and component with
// its process state; POST /api/v1/components/<name>/{stop,start,kill,pause?seconds=N} acts on one.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTROL_ACTIONS, UnknownProcessError, type ControlAction, type Supervisor } from './supervisor.ts';

export interface ControlServer {
  readonly port: number;
  close(): Promise<void>;
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

async function handle(
  supervisor: Supervisor,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/api/v1/components') {
    if (req.method !== 'GET') return reply(res, 405, { error: 'use GET' });
    return reply(res, 200, { components: supervisor.processes() });
  }
  const match = /^\/api\/v1\/components\/([^/]+)\/([a-z]+)$/.exec(url.pathname);
  if (match === null) return reply(res, 404, { error: `no route ${url.pathname}` });
  if (req.method !== 'POST') return reply(res, 405, { error: 'use POST' });
  const [, name = '', action = ''] = match;
  if (!(CONTROL_ACTIONS as readonly string[]).includes(action))
    return reply(res, 404, { error: `unknown action '${action}' (expected ${CONTROL_ACTIONS.join(', ')})` });
  let seconds: number | undefined;
  if (action === 'pause') {
    const raw = url.searchParams.get('seconds') ?? '';
    seconds = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw) || seconds <= 0 || seconds > 3600)
      return reply(res, 400, {
        error: `seconds: expected a number of seconds between 0 and 3600, got '${raw}'`,
      });
  }
  try {
    const info = await supervisor.control(decodeURIComponent(name), action as ControlAction, seconds);
    reply(res, 200, info);
  } catch (err) {
    if (err instanceof UnknownProcessError) return reply(res, 404, { error: err.message });
    throw err;
  }
}

export async function startControlServer(supervisor: Supervisor, port = 0): Promise<ControlServer> {
  const server = http.createServer((req, res) => {
    handle(supervisor, req, res).catch((err: unknown) => {
      if (!res.headersSent) reply(res, 500, { error: (err as Error).message });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
