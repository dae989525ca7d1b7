import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import type { z } from 'zod';
import { startComponent } from '../../../src/services/start-component.ts';
import { topology } from '../../../src/topology/schema.ts';

const base = {
  buses: { b: { kind: 'kafka', bootstrap: ['127.0.0.1:9092'] } },
  streams: { metrics: { bus: 'b', topic: 'm' }, logs: { bus: 'b', topic: 'l' } },
};

/** The issues zod reports for one demo component's settings, as `path: message`. */
function issues(settings: Record<string, unknown>): string[] {
  const result = topology.safeParse({ ...base, components: { shop: { kind: 'frontend', ...settings } } });
  assert.equal(result.success, false, 'the topology should be refused');
  return (result.error as z.ZodError).issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

test('a demo component with only its kind gets every default', () => {
  const parsed = topology.parse({ ...base, components: { shop: { kind: 'payments' } } });
  assert.deepEqual(parsed.components.shop, {
    kind: 'payments',
    httpPort: 0,
    enabled: true,
    publishes: { metrics: 'metrics', logs: 'logs', events: 'events' },
    rate: 20,
    appPort: 0,
    errorRate: 0.02,
    slowMs: 250,
    exportIntervalMs: 1000,
  });
});

test('invalid demo settings are refused with the field they are in', () => {
  assert.match(issues({ rate: -1 }).join('\n'), /^components\.shop\.rate: .*>=\s*0/m);
  assert.match(issues({ rate: 'fast' }).join('\n'), /^components\.shop\.rate: .*number/m);
  assert.match(issues({ errorRate: 1.5 }).join('\n'), /^components\.shop\.errorRate: .*<=\s*1/m);
  assert.match(issues({ seed: -3 }).join('\n'), /^components\.shop\.seed: /m);
  assert.match(issues({ seed: 1.5 }).join('\n'), /^components\.shop\.seed: .*int/m);
  assert.match(issues({ appPort: 70000 }).join('\n'), /^components\.shop\.appPort: /m);
  assert.match(
    issues({ exportIntervalMs: 10 }).join('\n'),
    /^components\.shop\.exportIntervalMs: .*>=\s*100/m,
  );
  assert.match(
    issues({ publishes: { traces: 'metrics' } }).join('\n'),
    /^components\.shop\.publishes: .*traces/m,
  );
  assert.match(issues({ postgresUrl: '' }).join('\n'), /^components\.shop\.postgresUrl: /m);
  assert.match(issues({ rps: 5 }).join('\n'), /^components\.shop: .*rps/m);
});

test('a demo producer publishing to a stream the topology lacks fails to start, naming the setting', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-demo-settings-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const parsed = topology.parse({
    ...base,
    dataDir: dir,
    components: {
      pay: { kind: 'payments' },
      web: { kind: 'frontend', publishes: { metrics: 'metrics' } },
    },
  });
  const resolved = { ...parsed, resolved: true as const };
  const options = { logger: pino({ level: 'silent' }) };
  await assert.rejects(
    startComponent(resolved, 'pay', options),
    /components\.pay\.publishes\.events: the topology has no stream named 'events'/,
  );
  await assert.rejects(
    startComponent(resolved, 'web', options),
    /components\.web\.publishes\.logs: a frontend publishes logs; name the topology stream/,
  );
});
