import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { createTelemetry } from '../../src/sdk/index.ts';
import type { ComponentStatus, ServiceMain } from '../../src/services/runtime.ts';
import { startComponent } from '../../src/services/start-component.ts';
import { topology, type ResolvedTopology } from '../../src/topology/schema.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** A port nothing listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function get(port: number, pathname: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}${pathname}`);
  const json = res.headers.get('content-type')?.includes('json') ?? false;
  return { status: res.status, body: json ? await res.json() : await res.text() };
}

function resolve(input: unknown): ResolvedTopology {
  return { ...topology.parse(input), resolved: true };
}

test('a component serves /healthz, /metrics, /status (its publishers read from its registry) and its own routes', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-component-'));
  const busPort = await deadPort();
  const resolved = resolve({
    dataDir: dir,
    buses: { events: { kind: 'kafka', bootstrap: [`127.0.0.1:${busPort}`] } },
    streams: { events: { bus: 'events', topic: 'demo.events' } },
    components: { payments: { kind: 'payments' } },
  });
  // A producer whose bus is down: its breaker opens and its buffer holds what it emitted.
  const main: ServiceMain = async (ctx) => {
    const telemetry = await createTelemetry({
      service: ctx.name,
      bus: { bootstrap: [`127.0.0.1:${busPort}`], connectTimeoutMs: 200, requestTimeoutMs: 500 },
      streams: { events: { topic: 'demo.events', breaker: { consecutiveFailures: 1 } } },
      metrics: ctx.registry,
      logger: ctx.logger,
    });
    for (let i = 0; i < 10; i++) telemetry.events.emit('payment.settled', { i });
    return {
      details: () => ({ emitted: 10 }),
      routes: [
        (_req, res, url) => {
          if (url.pathname !== '/api/hello') return false;
          res.end('hello');
          return true;
        },
      ],
      stop: async () => void (await telemetry.close(500)),
    };
  };
  const running = await startComponent(resolved, 'payments', { main, logger: pino({ level: 'silent' }) });
  try {
    assert.equal((await get(running.httpPort, '/healthz')).status, 200);
    assert.equal((await get(running.httpPort, '/api/hello')).body, 'hello');
    assert.equal((await get(running.httpPort, '/nope')).status, 404);
    const metrics = await get(running.httpPort, '/metrics');
    assert.match(String(metrics.body), /sluice_publisher_buffered_records\{stream="events"\}/);
    const status = await waitFor(
      async () => {
        const s = (await get(running.httpPort, '/status')).body as ComponentStatus;
        return s.producers[0]?.breaker === 'open' ? s : undefined;
      },
      { what: 'the events breaker to open on /status' },
    );
    assert.equal(status.component, 'payments');
    assert.equal(status.kind, 'payments');
    assert.equal(status.pid, process.pid);
    assert.equal(status.producers[0]?.stream, 'events');
    assert.equal(status.producers[0]?.bufferedRecords, 10);
    assert.deepEqual(status.details, { emitted: 10 });
    assert.deepEqual(status.consumers, []);
  } finally {
    await running.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('startComponent names a component the topology does not have', async () => {
  const resolved = resolve({
    buses: { b: { kind: 'kafka', bootstrap: ['127.0.0.1:1'] } },
    streams: { s: { bus: 'b', topic: 't' } },
    components: { acct: { kind: 'accounts' } },
  });
  await assert.rejects(startComponent(resolved, 'ghost'), /no component named 'ghost'/);
});
