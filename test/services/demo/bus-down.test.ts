import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import type { ComponentStatus, RunningComponent } from '../../../src/services/runtime.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { demoTopology, start } from './demo-topology.ts';

/** A port nothing listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function statusOf(running: RunningComponent): Promise<ComponentStatus> {
  const res = await fetch(`http://127.0.0.1:${running.httpPort}/status`);
  assert.equal(res.status, 200);
  return (await res.json()) as ComponentStatus;
}

test('with their bus down at start the demo producers still serve and their breakers open', async (t) => {
  const setup = await demoTopology(
    t,
    `127.0.0.1:${await deadPort()}`,
    {
      web: { kind: 'frontend', rate: 50, errorRate: 0.5, exportIntervalMs: 200 },
      db: { kind: 'db-monitor', rate: 50, exportIntervalMs: 200 },
      pay: { kind: 'payments', rate: 50, exportIntervalMs: 200 },
      acct: { kind: 'accounts', rate: 50, exportIntervalMs: 200 },
    },
    undefined,
    { connectTimeoutMs: 200, requestTimeoutMs: 500 },
  );
  const web = await start(t, setup, 'web');
  const db = await start(t, setup, 'db');
  const pay = await start(t, setup, 'pay');
  const acct = await start(t, setup, 'acct');

  const opened = (running: RunningComponent, streams: string[]) =>
    waitFor(
      async () => {
        const status = await statusOf(running);
        const open = streams.every((s) => status.producers.find((p) => p.stream === s)?.breaker === 'open');
        return open ? status : undefined;
      },
      { what: `${running.name}'s ${streams.join(' and ')} breakers to open` },
    );
  const webStatus = await opened(web, ['metrics', 'logs']);
  const dbStatus = await opened(db, ['metrics']);
  const payStatus = await opened(pay, ['metrics', 'events']);
  const acctStatus = await opened(acct, ['metrics', 'events']);

  // The front end keeps answering its users; what it measured waits in the buffers.
  const appPort = (webStatus.details as { appPort: number }).appPort;
  const res = await fetch(`http://127.0.0.1:${appPort}/api/cart`);
  assert.ok(res.status === 200 || res.status === 500, `GET /api/cart answered ${res.status}`);
  assert.ok((webStatus.details as { served: number }).served > 0);
  for (const status of [webStatus, dbStatus, payStatus, acctStatus]) {
    const metrics = status.producers.find((p) => p.stream === 'metrics');
    assert.ok((metrics?.bufferedRecords ?? 0) > 0, `${status.component} buffers its metrics`);
    assert.equal(metrics?.sentRecords, 0);
  }
  for (const status of [payStatus, acctStatus]) {
    const details = status.details as { operations: number; outcomes: { accepted: number; dropped: number } };
    assert.ok(details.operations > 0);
    assert.equal(details.outcomes.dropped, 0);
    assert.ok((status.producers.find((p) => p.stream === 'events')?.bufferedRecords ?? 0) > 0);
  }
  assert.ok(((dbStatus.details as { queries: Record<string, number> }).queries.insert ?? 0) > 0);

  // Stopping with nothing reachable is bounded and does not throw.
  await Promise.all([web, db, pay, acct].map((running) => running.stop()));
});

test('a payments service whose blocking events buffer is full pauses instead of piling up or dropping', async (t) => {
  const setup = await demoTopology(
    t,
    `127.0.0.1:${await deadPort()}`,
    { pay: { kind: 'payments', rate: 500, exportIntervalMs: 200 } },
    undefined,
    { connectTimeoutMs: 200, requestTimeoutMs: 500 },
  );
  setup.topology.streams.events.buffer = { kind: 'memory', maxBytes: 1024 * 1024, whenFull: 'block' };
  const pay = await start(t, setup, 'pay');
  interface PayDetails {
    operations: number;
    deferred: number;
    outcomes: { accepted: number; dropped: number; blocked: number };
  }
  const paused = await waitFor(
    async () => {
      const d = (await statusOf(pay)).details as unknown as PayDetails;
      return d.deferred >= 100 ? d : undefined;
    },
    { what: 'payments to defer 100 operations behind its full events buffer' },
  );
  // One event waits for room; no operation runs while it waits, and nothing is lost.
  assert.equal(paused.outcomes.blocked, 1);
  assert.equal(paused.outcomes.dropped, 0);
  assert.equal(paused.outcomes.accepted + paused.outcomes.blocked, paused.operations);
  const later = (await statusOf(pay)).details as unknown as PayDetails;
  assert.equal(later.operations, paused.operations);
});
