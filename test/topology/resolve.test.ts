// Resolution: what every child of `sluice up` runs with — concrete ports, absolute directories, the
// --data-dir override — written to <dataDir>/run/topology.json and read back by `sluice service`.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseTopology } from '../../src/topology/load.ts';
import {
  readResolvedTopology,
  resolvedTopologyFile,
  resolveTopology,
  writeResolvedTopology,
} from '../../src/topology/resolve.ts';

function topologyIn(dir: string, extra: Record<string, unknown> = {}) {
  return parseTopology(
    {
      dataDir: 'state',
      buses: {
        metrics: { kind: 'embedded' },
        logs: { kind: 'embedded', dataDir: '/var/tmp/elsewhere-logs' },
        events: { kind: 'kafka', bootstrap: ['kafka-1:9092'] },
      },
      streams: { metrics: { bus: 'metrics', topic: 'm' }, events: { bus: 'events', topic: 'e' } },
      components: {
        dash: { kind: 'dashboard', streams: ['metrics'] },
        off: { kind: 'alerting', enabled: false },
      },
      ...extra,
    },
    'test topology',
    dir,
  );
}

test('port 0 becomes a free port, every one different; directories become absolute', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-resolve-'));
  try {
    const resolved = await resolveTopology(topologyIn(dir));
    assert.equal(resolved.dataDir, path.join(dir, 'state'));
    const metrics = resolved.buses.metrics;
    const logs = resolved.buses.logs;
    assert.ok(metrics?.kind === 'embedded' && logs?.kind === 'embedded');
    assert.equal(metrics.dataDir, path.join(dir, 'state', 'buses', 'metrics'));
    assert.equal(logs.dataDir, '/var/tmp/elsewhere-logs');
    const ports = [
      metrics.port,
      metrics.adminPort,
      logs.port,
      logs.adminPort,
      resolved.components.dash?.httpPort,
    ];
    for (const p of ports) assert.ok(typeof p === 'number' && p > 0, `port ${p}`);
    assert.equal(new Set(ports).size, ports.length, `ports ${ports.join(', ')}`);
    assert.equal(resolved.components.off?.httpPort, 0, 'a disabled component gets no port');
    assert.deepEqual(resolved.buses.events, topologyIn(dir).buses.events, 'a Kafka bus is left as it is');

    const file = await writeResolvedTopology(resolved);
    assert.equal(file, resolvedTopologyFile(resolved.dataDir));
    assert.deepEqual(await readResolvedTopology(file), resolved);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--data-dir overrides the topology dataDir and moves the default bus directories with it', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-resolve-'));
  try {
    const resolved = await resolveTopology(topologyIn(dir), { dataDir: path.join(dir, 'other') });
    assert.equal(resolved.dataDir, path.join(dir, 'other'));
    const metrics = resolved.buses.metrics;
    assert.equal(
      metrics?.kind === 'embedded' ? metrics.dataDir : '',
      path.join(dir, 'other', 'buses', 'metrics'),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a fixed port already in use is refused, naming the setting', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-resolve-'));
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  try {
    const t = topologyIn(dir, {
      components: { dash: { kind: 'dashboard', httpPort: port, streams: ['metrics'] } },
    });
    await assert.rejects(
      resolveTopology(t),
      new RegExp(`components\\.dash\\.httpPort: port ${port} is already in use`),
    );
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a resolved topology file that is not one is a clear error', async () => {
  await assert.rejects(readResolvedTopology('/nonexistent/topology.json'), /cannot read resolved topology/);
});
