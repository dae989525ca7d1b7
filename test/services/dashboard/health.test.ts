import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { startBroker } from '../../../src/broker/broker.ts';
import type { Health } from '../../../src/services/dashboard/health-board.ts';
import { createBusProducer } from '../../../src/sdk/kafka-client.ts';
import { startComponent } from '../../../src/services/start-component.ts';
import { topology, type ResolvedTopology } from '../../../src/topology/schema.ts';
import { tempDir } from '../../helpers/broker.ts';
import { createTopicOn } from '../../helpers/target.ts';
import { waitFor } from '../../helpers/wait-for.ts';

async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('the health board asks each bus and component directly: a stopped bus shows down while the other stays up', async (t) => {
  const dir = await tempDir('sluice-dashboard-health-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  const brokers = await Promise.all(
    ['metrics', 'logs'].map((name) =>
      startBroker({
        port: 0,
        adminPort: 0,
        dataDir: path.join(dir, name),
        logLevel: 'silent',
        durability: 'none',
      }),
    ),
  );
  t.after(() => Promise.all(brokers.map((b) => b.close())));
  await createTopicOn(brokers[0].bootstrap, 'metrics', 1);
  await createTopicOn(brokers[1].bootstrap, 'logs', 1);

  // The supervisor's control API, as `sluice up` runs it.
  const supervisor = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        components: [
          { name: 'metrics', kind: 'embedded', role: 'bus', state: 'running', pid: 11, restarts: 0 },
          { name: 'payments', kind: 'payments', role: 'component', state: 'crashed', pid: 12, restarts: 3 },
        ],
      }),
    );
  });
  await new Promise<void>((resolve) => supervisor.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => supervisor.close(() => resolve())));
  await mkdir(path.join(dir, 'run'), { recursive: true });
  await writeFile(
    path.join(dir, 'run', 'supervisor.json'),
    JSON.stringify({ pid: 1, controlPort: (supervisor.address() as AddressInfo).port, topologyFile: 'x' }),
  );

  const resolved: ResolvedTopology = {
    ...topology.parse({
      dataDir: dir,
      buses: Object.fromEntries(
        ['metrics', 'logs'].map((name, i) => [
          name,
          {
            kind: 'embedded',
            port: Number(brokers[i].bootstrap.split(':')[1]),
            adminPort: brokers[i].adminPort,
          },
        ]),
      ),
      streams: { metrics: { bus: 'metrics', topic: 'metrics' }, logs: { bus: 'logs', topic: 'logs' } },
      components: {
        dash: {
          kind: 'dashboard',
          httpPort: await deadPort(),
          streams: ['metrics', 'logs'],
          healthIntervalMs: 200,
          probeTimeoutMs: 500,
        },
        payments: { kind: 'payments', httpPort: await deadPort() },
      },
    }),
    resolved: true,
  };
  const running = await startComponent(resolved, 'dash', { logger: pino({ level: 'silent' }) });
  t.after(() => running.stop());
  const health = async (): Promise<Health> =>
    (await (await fetch(`http://127.0.0.1:${running.httpPort}/api/v1/health`)).json()) as Health;

  // A consumer's lag shows once it has a position: it starts at the latest offset, so give it records.
  const producers = brokers.map((b) =>
    createBusProducer({ bootstrap: [b.bootstrap] }, { acks: 1, idempotent: false }),
  );
  t.after(() => Promise.all(producers.map((p) => p.close())));
  const up = await waitFor(
    async () => {
      await Promise.all(
        ['metrics', 'logs'].map((topic, i) =>
          producers[i].send([{ topic, key: null, value: Buffer.from('not an envelope'), headers: {} }]),
        ),
      );
      const h = await health();
      const dash = h.components.find((c) => c.name === 'dash');
      const ready =
        h.buses.every((b) => b.up && b.rates.bytesIn !== undefined) && dash?.consumers.length === 2;
      return ready ? h : undefined;
    },
    { what: 'both buses up, with rates, and the dashboard consuming from both', everyMs: 200 },
  );
  assert.deepEqual(up.supervisor, { present: true, reachable: true });
  assert.equal(up.buses.find((b) => b.name === 'metrics')?.state, 'running');
  const payments = up.components.find((c) => c.name === 'payments');
  assert.equal(payments?.up, false);
  assert.equal(payments?.state, 'crashed');
  assert.equal(payments?.restarts, 3);
  const dash = up.components.find((c) => c.name === 'dash');
  assert.equal(dash?.up, true, JSON.stringify(dash));
  assert.deepEqual(dash?.consumers.map((c) => c.topic).sort(), ['logs', 'metrics']);
  await Promise.all(producers.map((p) => p.close()));

  await brokers[0].close();
  const down = await waitFor(
    async () => {
      const h = await health();
      return h.buses.find((b) => b.name === 'metrics')?.up === false ? h : undefined;
    },
    { what: 'the metrics bus to show down' },
  );
  const metricsBus = down.buses.find((b) => b.name === 'metrics')!;
  assert.match(metricsBus.error ?? '', /ECONNREFUSED|fetch failed/);
  assert.equal(down.buses.find((b) => b.name === 'logs')?.up, true);
  assert.equal(down.components.find((c) => c.name === 'dash')?.up, true, JSON.stringify(down.components));
});
