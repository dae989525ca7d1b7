// `sluice service <name> --topology <resolved.json>`, as `sluice up` starts each component: a real child
// process serving the component's endpoints, which exits 0 after SIGTERM; a wrong name is a clear error.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { ComponentStatus } from '../../src/services/runtime.ts';
import { parseTopology } from '../../src/topology/load.ts';
import { resolveTopology, writeResolvedTopology } from '../../src/topology/resolve.ts';
import { waitFor } from '../helpers/wait-for.ts';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** A port nothing listens on: the component's bus is down, which it must survive. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function resolvedFile(dir: string): Promise<string> {
  const bus = { kind: 'kafka', bootstrap: [`127.0.0.1:${await deadPort()}`], connectTimeoutMs: 500 };
  const topology = parseTopology(
    {
      dataDir: dir,
      buses: { main: bus },
      streams: {
        metrics: { bus: 'main', topic: 'm' },
        logs: { bus: 'main', topic: 'l' },
        events: { bus: 'main', topic: 'e' },
      },
      components: { shop: { kind: 'frontend', rate: 5 } },
    },
    'test topology',
    dir,
  );
  return writeResolvedTopology(await resolveTopology(topology));
}

test('sluice service runs one component until SIGTERM, then exits 0', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-service-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = await resolvedFile(dir);
  const child = spawn(process.execPath, [MAIN, 'service', 'shop', '--topology', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => void child.kill('SIGKILL'));

  const port = await waitFor(() => /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(output)?.[1], {
    what: `sluice service to listen (output so far: ${output})`,
    deadlineMs: 120_000,
  });
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(health.status, 200);
  const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as ComponentStatus;
  assert.deepEqual([status.component, status.kind, status.pid], ['shop', 'frontend', child.pid]);

  child.kill('SIGTERM');
  assert.equal(await exited, 0, output);
});

test('sluice service with a component the topology does not have names the ones it has', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-service-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = await resolvedFile(dir);
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(process.execPath, [MAIN, 'service', 'shopp', '--topology', file], (err, _out, stderr) =>
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, stderr }),
    ),
  );
  assert.equal(code, 2);
  assert.match(stderr, /has no component 'shopp' \(it has: shop\)/);
});
