// PostgreSQL connections dropped under the analytics service mid-stream (pg_terminate_backend, as a
// database restart does): the consumer fails, starts again from the offsets in the store, and every point
// is still counted exactly once.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { startComponent } from '../../../src/services/start-component.ts';
import { startTestBroker, tempDir } from '../../helpers/broker.ts';
import { createTopicOn } from '../../helpers/target.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { analyticsTopology, metricRecord, PG_URL, pgSchema, produce } from './harness.ts';

const POINTS = 600;
const DROPS = 5;

test('dropped PostgreSQL connections: analytics recovers and counts every point once', async (t) => {
  const broker = await startTestBroker(t);
  const dir = await tempDir('sluice-analytics-pg-outage-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  await createTopicOn(broker.bootstrap, 'metrics', 3);
  const start = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
  await produce(
    broker.bootstrap,
    'metrics',
    Array.from({ length: POINTS }, (_, i) =>
      metricRecord({
        name: 'jobs.queued',
        attributes: { queue: `q${i % 6}` },
        startTs: start + i * 1000,
        ts: start + i * 1000 + 1000,
        type: 'gauge',
        value: i,
      }),
    ),
  );
  const schema = pgSchema(t);
  const app = `sluice_${schema}`;
  const resolved = analyticsTopology(dir, broker.bootstrap, 'metrics', {
    analytics: { store: { kind: 'postgres', url: `${PG_URL}?application_name=${app}`, schema } },
  });
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  t.after(() => admin.end());
  const running = await startComponent(resolved, 'analytics', { logger: pino({ level: 'silent' }) });
  t.after(() => running.stop());

  const stored = async (): Promise<number> => {
    const { rows } = await admin
      .query<{ n: string | null }>(`SELECT sum(next_offset) AS n FROM ${schema}.sluice_consumer_offsets`)
      .catch(() => ({ rows: [{ n: null }] }));
    return Number(rows[0].n ?? 0);
  };
  let terminated = 0;
  for (let k = 0; k < DROPS; k++) {
    const before = await stored();
    if (before === POINTS) break;
    await waitFor(async () => (await stored()) > before, { what: `progress after drop ${k}` });
    const { rows } = await admin.query<{ ok: boolean }>(
      'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
      [app],
    );
    terminated += rows.filter((r) => r.ok).length;
  }
  assert.ok(terminated > 0, 'connections of the service were dropped');
  await waitFor(async () => (await stored()) === POINTS, { what: 'every point stored', deadlineMs: 120_000 });

  const status = (await (await fetch(`http://127.0.0.1:${running.httpPort}/status`)).json()) as {
    details: { restarts: Record<string, { count: number }> };
  };
  t.diagnostic(
    `${terminated} connections dropped; consumer restarts: ${status.details.restarts.metrics.count}`,
  );
  const { rows } = await admin.query<{ resolution: string; n: string; total: number }>(
    `SELECT resolution, sum(count) AS n, sum(sum) AS total FROM ${schema}.rollups GROUP BY resolution ORDER BY resolution`,
  );
  const exact = (POINTS * (POINTS - 1)) / 2;
  assert.deepEqual(
    rows.map((r) => [r.resolution, Number(r.n), r.total]),
    [
      ['10s', POINTS, exact],
      ['1h', POINTS, exact],
      ['1m', POINTS, exact],
    ],
  );
});
