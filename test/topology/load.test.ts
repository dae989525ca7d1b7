// Topology validation as a user meets it: a broken file gives one line per problem naming the file, the
// line, the path inside the file and what was expected there.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadTopology, TopologyError } from '../../src/topology/load.ts';

const BUSES = `buses:
  metrics: { kind: embedded }
  logs: { kind: embedded, durability: none }
`;
const STREAMS = `streams:
  metrics: { bus: metrics, topic: t.metrics }
  logs: { bus: logs, topic: t.logs }
`;

interface Case {
  name: string;
  text: string;
  /** `<line>: <path>: expected <expected>` must appear after the file name, on one problem line. */
  line: number;
  path: string;
  expected: string;
}

const CASES: Case[] = [
  {
    name: 'a stream on a bus that does not exist',
    text: `${BUSES}streams:\n  metrics: { bus: metric, topic: t.metrics }\n`,
    line: 5,
    path: 'streams.metrics.bus',
    expected: 'a bus name: metrics, logs, got "metric"',
  },
  {
    name: 'an unknown bus kind',
    text: `buses:\n  metrics:\n    kind: pulsar\n${STREAMS}`,
    line: 3,
    path: 'buses.metrics.kind',
    expected: 'one of: embedded, kafka, got "pulsar"',
  },
  {
    name: 'a misspelt setting',
    text: `${BUSES}${STREAMS}components:\n  dash:\n    kind: dashboard\n    htpPort: 8080\n`,
    line: 10,
    path: 'components.dash.htpPort',
    expected: 'no setting named "htpPort" here',
  },
  {
    name: 'a port that is not a number',
    text: `buses:\n  metrics: { kind: embedded, port: high }\n${STREAMS.replace('  logs: { bus: logs, topic: t.logs }\n', '')}`,
    line: 2,
    path: 'buses.metrics.port',
    expected: 'a number, got "high"',
  },
  {
    name: 'a port out of range',
    text: `buses:\n  metrics: { kind: embedded, port: 70000 }\nstreams:\n  metrics: { bus: metrics, topic: t }\n`,
    line: 2,
    path: 'buses.metrics.port',
    expected: 'a number <= 65535, got 70000',
  },
  {
    name: 'a bad durability',
    text: `buses:\n  metrics: { kind: embedded, durability: sometimes }\nstreams:\n  metrics: { bus: metrics, topic: t }\n`,
    line: 2,
    path: 'buses.metrics.durability',
    expected: 'fsync, none or interval:<ms>, got "sometimes"',
  },
  {
    name: 'a buffer policy that does not exist',
    text: `${BUSES}streams:\n  metrics:\n    bus: metrics\n    topic: t\n    buffer: { kind: disk, maxBytes: 1048576, whenFull: wait }\n`,
    line: 8,
    path: 'streams.metrics.buffer.whenFull',
    expected: 'one of: block, drop_newest, drop_oldest, got "wait"',
  },
  {
    name: 'no buses at all',
    text: `buses: {}\n${STREAMS}`,
    line: 1,
    path: 'buses',
    expected: 'at least one bus, got {}',
  },
  {
    name: 'a component reading a stream that does not exist',
    text: `${BUSES}${STREAMS}components:\n  dash:\n    kind: dashboard\n    streams: [metrics, traces]\n`,
    line: 10,
    path: 'components.dash.streams[1]',
    expected: 'a stream name: metrics, logs, got "traces"',
  },
  {
    name: 'a producer publishing to a stream that does not exist',
    text: `${BUSES}${STREAMS}components:\n  shop:\n    kind: frontend\n    publishes: { metrics: metrics, logs: logs, events: events }\n`,
    line: 10,
    path: 'components.shop.publishes.events',
    expected: 'a stream name: metrics, logs, got "events"',
  },
  {
    name: 'two buses on one port',
    text: `buses:\n  metrics: { kind: embedded, port: 19092 }\n  logs: { kind: embedded, port: 19092 }\n${STREAMS}`,
    line: 3,
    path: 'buses.logs.port',
    expected: 'a port of its own (buses.metrics.port is also 19092), got 19092',
  },
  {
    name: 'two buses in one data directory',
    text: `buses:\n  metrics: { kind: embedded, dataDir: ./bus }\n  logs: { kind: embedded, dataDir: bus }\n${STREAMS}`,
    line: 3,
    path: 'buses.logs.dataDir',
    expected: 'a data directory of its own (buses.metrics also uses',
  },
  {
    name: 'a bus name in capitals',
    text: `buses:\n  Metrics: { kind: embedded }\nstreams:\n  metrics: { bus: metrics, topic: t }\n`,
    line: 2,
    path: 'buses.Metrics',
    expected: 'a key that is a name of lowercase letters, digits and dashes',
  },
  {
    name: 'a Kafka bus without a bootstrap list',
    text: `buses:\n  metrics: { kind: kafka, bootstrap: [] }\nstreams:\n  metrics: { bus: metrics, topic: t }\n`,
    line: 2,
    path: 'buses.metrics.bootstrap',
    expected: 'at least 1 item(s), got []',
  },
  {
    name: 'JSON with a wrong type',
    text: `{\n  "buses": { "metrics": { "kind": "embedded" } },\n  "streams": { "metrics": { "bus": "metrics", "topic": "t", "partitions": "three" } }\n}\n`,
    line: 3,
    path: 'streams.metrics.partitions',
    expected: 'a number, got "three"',
  },
];

async function withFile<T>(text: string, run: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-topology-'));
  try {
    const file = path.join(dir, 'topology.yaml');
    await writeFile(file, text);
    return await run(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

for (const c of CASES)
  test(`topology error: ${c.name}`, () =>
    withFile(c.text, async (file) => {
      const err = await loadTopology(file).then(
        () => assert.fail('the topology was accepted'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof TopologyError, String(err));
      const want = `${file}:${c.line}: ${c.path}: expected ${c.expected}`;
      assert.ok(
        err.problems.some((p) => p.startsWith(want)),
        `no problem starts with\n  ${want}\ngot\n  ${err.problems.join('\n  ')}`,
      );
      assert.match(err.message, /^invalid topology in /);
    }));

test('a file that is not YAML names the file and the line', () =>
  withFile('buses:\n  metrics: { kind: embedded\nstreams: {}\n', async (file) => {
    await assert.rejects(loadTopology(file), (err: unknown) => {
      assert.ok(err instanceof TopologyError);
      assert.match(
        err.problems[0] ?? '',
        new RegExp(`^${file.replaceAll('.', '\\.')}:\\d+: not valid YAML or JSON`),
      );
      return true;
    });
  }));

test('a missing file is a clear error', async () => {
  await assert.rejects(
    loadTopology('/nonexistent/topology.yaml'),
    /cannot read topology file \/nonexistent\/topology\.yaml/,
  );
});

test('paths in the file resolve against its directory; defaults fill the rest', () =>
  withFile(
    `dataDir: ./state\nbuses:\n  metrics: { kind: embedded, dataDir: buses/m }\n${STREAMS.replace('  logs: { bus: logs, topic: t.logs }\n', '')}components:\n  alerts: { kind: alerting, rulesFile: rules.yaml }\n`,
    async (file) => {
      const dir = path.dirname(file);
      const { topology } = await loadTopology(file);
      assert.equal(topology.dataDir, path.join(dir, 'state'));
      const bus = topology.buses.metrics;
      assert.equal(bus?.kind === 'embedded' ? bus.dataDir : undefined, path.join(dir, 'buses/m'));
      const alerts = topology.components.alerts;
      assert.equal(alerts?.kind === 'alerting' ? alerts.rulesFile : undefined, path.join(dir, 'rules.yaml'));
      assert.equal(topology.streams.metrics?.partitions, 3);
      assert.equal(alerts?.httpPort, 0);
    },
  ));

test('the built-in default: three embedded buses, each stream on its own, buffering by criticality', async () => {
  const { topology } = await loadTopology();
  assert.deepEqual(Object.keys(topology.buses), ['metrics', 'logs', 'events']);
  const durability = Object.fromEntries(
    Object.entries(topology.buses).map(([n, b]) => [n, b.kind === 'embedded' ? b.durability : b.kind]),
  );
  assert.deepEqual(durability, { metrics: 'fsync', logs: 'none', events: 'fsync' });
  const buffers = Object.fromEntries(
    Object.entries(topology.streams).map(([n, s]) => [n, `${s.bus} ${s.buffer.kind} ${s.buffer.whenFull}`]),
  );
  assert.deepEqual(buffers, {
    metrics: 'metrics disk drop_oldest',
    logs: 'logs memory drop_oldest',
    events: 'events disk block',
  });
  assert.deepEqual(
    Object.entries(topology.components).map(([n, c]) => `${n}:${c.kind}`),
    [
      'dashboard:dashboard',
      'analytics:analytics',
      'alerting:alerting',
      'frontend-a:frontend',
      'frontend-b:frontend',
      'db-monitor:db-monitor',
      'payments:payments',
      'accounts:accounts',
    ],
  );
});
