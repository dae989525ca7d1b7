// `sluice up` as a user runs it: a child process with a temporary topology (two embedded buses) and data
// dir. Checks the buses serve with their topics created, `sluice status --json` lists them, `sluice chaos`
// kills (restarted, new pid), stops, starts and pauses one, and SIGINT leaves no process behind; a
// supervisor killed with SIGKILL takes its children with it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import type { RunFile } from '../../src/supervisor/run-file.ts';
import type { ResolvedTopology } from '../../src/topology/schema.ts';
import { alive, entry, sluice, startSluiceUp, status } from '../helpers/sluice-up.ts';
import { waitFor } from '../helpers/wait-for.ts';

const TOPOLOGY = `dataDir: ./data
buses:
  metrics: { kind: embedded, durability: fsync }
  logs: { kind: embedded, durability: none }
streams:
  metrics: { bus: metrics, topic: up.metrics, partitions: 2 }
  logs: { bus: logs, topic: up.logs, partitions: 1 }
`;

function startUp(t: TestContext, topology = TOPOLOGY) {
  return startSluiceUp(t, topology);
}

test('sluice up runs the buses with their topics; status, chaos kill/stop/start/pause; SIGINT leaves nothing behind', async (t) => {
  const up = await startUp(t);
  const pids = new Set<number>();
  const first = await status(up.dataDir);
  assert.deepEqual(
    first.components.map((c) => [c.name, c.role, c.kind, c.state, c.healthy, c.restarts]),
    [
      ['metrics', 'bus', 'embedded', 'running', true, 0],
      ['logs', 'bus', 'embedded', 'running', true, 0],
    ],
  );
  for (const c of first.components) if (c.pid !== null) pids.add(c.pid);
  // Each bus runs with the broker's node flags (src/broker/node-flags.ts) on its command line.
  for (const c of first.components) {
    const argv = (await readFile(`/proc/${c.pid}/cmdline`, 'utf8')).split('\0');
    assert.ok(argv.includes('--max-semi-space-size=1'), `${c.name}: ${argv.join(' ')}`);
  }
  const second = await sluice('up', '--config', path.join(up.dir, 'topology.yaml'));
  assert.equal(second.code, 1);
  assert.match(second.stderr, /sluice up: already running with data dir .* \(supervisor pid \d+\)/);
  // --config finds the data dir the way `sluice up --config` did (relative to the file).
  const viaConfig = await sluice('status', '--config', path.join(up.dir, 'topology.yaml'), '--json');
  assert.equal(viaConfig.code, 0, viaConfig.stderr);
  assert.deepEqual(
    (JSON.parse(viaConfig.stdout) as typeof first).components.map((c) => c.pid),
    first.components.map((c) => c.pid),
  );

  // Every stream's topic exists on its own bus, with its partitions.
  const run = JSON.parse(await readFile(path.join(up.dataDir, 'run', 'supervisor.json'), 'utf8')) as RunFile;
  assert.equal(run.pid, up.child.pid);
  const topology = JSON.parse(await readFile(run.topologyFile, 'utf8')) as ResolvedTopology;
  for (const [bus, topic, partitions] of [
    ['metrics', 'up.metrics', 2],
    ['logs', 'up.logs', 1],
  ] as const) {
    const b = topology.buses[bus];
    assert.ok(b?.kind === 'embedded');
    const admin = new Kafka({ brokers: [`127.0.0.1:${b.port}`], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      assert.equal(meta.topics[0]?.partitions.length, partitions, `${topic} on ${bus}`);
      assert.deepEqual(await admin.listTopics(), [topic], `only ${topic} on bus ${bus}`);
    } finally {
      await admin.disconnect();
    }
  }

  // kill = a crash: restarted with a new pid, counted.
  const killed = await sluice('chaos', 'kill', 'metrics', '--data-dir', up.dataDir);
  assert.equal(killed.code, 0, killed.stderr);
  const metricsPid = entry(first, 'metrics').pid;
  assert.ok(metricsPid !== null);
  assert.equal(alive(metricsPid), false);
  const restarted = await waitFor(
    async () => {
      const m = entry(await status(up.dataDir), 'metrics');
      return m.state === 'running' && m.healthy ? m : undefined;
    },
    { what: 'the metrics bus to be restarted', deadlineMs: 120_000 },
  );
  assert.notEqual(restarted.pid, metricsPid);
  assert.equal(restarted.restarts, 1);
  if (restarted.pid !== null) pids.add(restarted.pid);

  // stop keeps it stopped (its endpoint down) while the other bus runs on; start brings it back.
  const stopped = await sluice('chaos', 'stop', 'logs', '--data-dir', up.dataDir);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stdout, /^logs: stopped/);
  const afterStop = await status(up.dataDir);
  assert.deepEqual(
    [entry(afterStop, 'logs').state, entry(afterStop, 'logs').healthy, entry(afterStop, 'logs').pid],
    ['stopped', false, null],
  );
  assert.deepEqual(
    [entry(afterStop, 'metrics').state, entry(afterStop, 'metrics').healthy],
    ['running', true],
  );
  const started = await sluice('chaos', 'start', 'logs', '--data-dir', up.dataDir);
  assert.equal(started.code, 0, started.stderr);
  const logs = await waitFor(
    async () => {
      const l = entry(await status(up.dataDir), 'logs');
      return l.state === 'running' && l.healthy ? l : undefined;
    },
    { what: 'the logs bus to run again', deadlineMs: 120_000 },
  );
  assert.equal(logs.restarts, 0, 'a stop and start is not a crash');
  if (logs.pid !== null) pids.add(logs.pid);

  const paused = await sluice('chaos', 'pause', 'logs', '1', '--data-dir', up.dataDir);
  assert.equal(paused.code, 0, paused.stderr);
  assert.match(paused.stdout, /^logs: paused/);
  await waitFor(async () => entry(await status(up.dataDir), 'logs').state === 'running', {
    what: 'the paused bus to resume',
  });

  const unknown = await sluice('chaos', 'stop', 'nope', '--data-dir', up.dataDir);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no bus or component named 'nope'/);

  up.child.kill('SIGINT');
  assert.equal(await up.exited, 0, up.output());
  for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still runs after SIGINT`);
  assert.equal(existsSync(path.join(up.dataDir, 'run', 'supervisor.json')), false);
  assert.match(up.output(), /sluice up: stopped/);

  const none = await sluice('status', '--data-dir', up.dataDir);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /sluice status: nothing is running with data dir/);
});

test('children of a supervisor killed with SIGKILL stop on their own', async (t) => {
  const up = await startUp(t);
  const report = await status(up.dataDir);
  const pids = report.components.map((c) => c.pid).filter((p) => p !== null);
  assert.equal(pids.length, 2);
  up.child.kill('SIGKILL');
  await up.exited;
  await waitFor(() => pids.every((pid) => !alive(pid)), {
    what: 'every bus to exit after its supervisor died',
  });
});

test('a producer under sluice up: killed, it is restarted; its metrics bus stopped, it serves on with the breaker open', async (t) => {
  const up = await startUp(
    t,
    `${TOPOLOGY}  events: { bus: logs, topic: up.events, partitions: 1 }
components:
  shop: { kind: frontend, rate: 5, exportIntervalMs: 200 }
`,
  );
  const shopStatus = async () => entry(await status(up.dataDir), 'shop');
  const first = await waitFor(
    async () => {
      const s = await shopStatus();
      const metrics = s.status?.producers.find((p) => p.stream === 'metrics');
      return s.state === 'running' && (metrics?.sentRecords ?? 0) > 0 ? s : undefined;
    },
    { what: 'the front end to run and send metrics', deadlineMs: 120_000 },
  );
  assert.equal(first.role, 'component');
  assert.equal(first.kind, 'frontend');
  assert.ok(first.pid !== null);
  const pids = new Set((await status(up.dataDir)).components.map((c) => c.pid).filter((p) => p !== null));

  const killed = await sluice('chaos', 'kill', 'shop', '--data-dir', up.dataDir);
  assert.equal(killed.code, 0, killed.stderr);
  const again = await waitFor(
    async () => {
      const s = await shopStatus();
      return s.state === 'running' && s.pid !== first.pid && s.healthy ? s : undefined;
    },
    { what: 'the front end to be restarted', deadlineMs: 120_000 },
  );
  assert.equal(again.restarts, 1);
  if (again.pid !== null) pids.add(again.pid);

  const stopped = await sluice('chaos', 'stop', 'metrics', '--data-dir', up.dataDir);
  assert.equal(stopped.code, 0, stopped.stderr);
  const open = await waitFor(
    async () => {
      const s = await shopStatus();
      const metrics = s.status?.producers.find((p) => p.stream === 'metrics');
      return metrics?.breaker === 'open' ? s : undefined;
    },
    { what: "the front end's metrics breaker to open", deadlineMs: 120_000 },
  );
  assert.equal(open.pid, again.pid, 'the producer kept running with its bus down');
  assert.equal(open.healthy, true);

  const started = await sluice('chaos', 'start', 'metrics', '--data-dir', up.dataDir);
  assert.equal(started.code, 0, started.stderr);
  await waitFor(
    async () =>
      (await shopStatus()).status?.producers.find((p) => p.stream === 'metrics')?.breaker === 'closed',
    { what: "the front end's metrics breaker to close again", deadlineMs: 120_000 },
  );
  for (const c of (await status(up.dataDir)).components) if (c.pid !== null) pids.add(c.pid);

  up.child.kill('SIGINT');
  assert.equal(await up.exited, 0, up.output());
  for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still runs after SIGINT`);
  const shutdown = up.output().slice(up.output().indexOf('stopping components, then buses'));
  const stopOrder = [...shutdown.matchAll(/^[\d:]+ (\S+): stopped/gm)].map((m) => m[1]);
  assert.deepEqual(stopOrder.slice(0, 1), ['shop'], `components stop before buses: ${stopOrder.join(', ')}`);
  assert.deepEqual(stopOrder.slice(1).sort(), ['logs', 'metrics']);
});
