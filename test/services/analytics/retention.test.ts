// Retention per resolution: a point already past a resolution's retention is not written to it, and the
// periodic delete removes windows as they age past it; the other resolutions keep theirs.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { pino } from 'pino';
import { startComponent } from '../../../src/services/start-component.ts';
import { startTestBroker, tempDir } from '../../helpers/broker.ts';
import { createTopicOn } from '../../helpers/target.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { analyticsTopology, getJson, metricRecord, produce, type SeriesBody } from './harness.ts';

test('rollups past their resolution retention are not written, and are deleted as they age', async (t) => {
  const broker = await startTestBroker(t);
  const dir = await tempDir('sluice-analytics-retention-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  await createTopicOn(broker.bootstrap, 'metrics', 1);
  const now = Date.now();
  const gauge = (ts: number, value: number) =>
    metricRecord({ name: 'g', attributes: {}, startTs: ts - 10_000, ts, type: 'gauge', value });
  // Two hours old: past the 10 s retention (1 s) at once. 10 s ahead: inside it when written, past it soon.
  await produce(broker.bootstrap, 'metrics', [gauge(now - 2 * 3_600_000, 1), gauge(now + 10_000, 2)]);
  const resolved = analyticsTopology(dir, broker.bootstrap, 'metrics', {
    analytics: { retention: { '10s': '1s' }, retentionCheckInterval: '100ms' },
  });
  const running = await startComponent(resolved, 'analytics', { logger: pino({ level: 'silent' }) });
  t.after(() => running.stop());
  const port = running.httpPort;
  const range = `from=${now - 3 * 3_600_000}&to=${now + 3_600_000}`;

  // The recent window was written to 10 s (the deletion counter proves it) and deleted once past 1 s.
  await waitFor(
    async () => {
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return /sluice_analytics_retention_deleted_total\{resolution="10s"\} 1\b/.test(metrics);
    },
    { what: 'the 10 s window to be deleted past its retention' },
  );
  const tenSeconds = await getJson<SeriesBody>(port, `/api/v1/series?name=g&${range}&step=10s`);
  assert.deepEqual(tenSeconds.body.series, []);
  // 1 min keeps both points (7 days by default).
  const minute = await getJson<SeriesBody>(port, `/api/v1/series?name=g&${range}&step=1m`);
  assert.deepEqual(
    minute.body.series[0].points.map((p) => p.sum),
    [1, 2],
  );
});
