// A window longer than the live one: the dashboard answers it with the analytics service's rollups, and
// the page charts them when such a window is picked. Points published an hour ago are older than the live
// window (and the dashboard's new group starts at the latest offset), so only analytics has them.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { pino } from 'pino';
import { chromium } from 'playwright-core';
import type { MetricPoint } from '../../../src/sdk/index.ts';
import type { ComponentStatus } from '../../../src/services/runtime.ts';
import { startComponent } from '../../../src/services/start-component.ts';
import { topology } from '../../../src/topology/schema.ts';
import { startTestBroker, tempDir } from '../../helpers/broker.ts';
import { createTopicOn } from '../../helpers/target.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { rollupEntries } from '../../../web/rollups.ts';
import type { Rollups } from '../../../web/types.ts';
import { metricRecord, produce } from '../analytics/harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const silent = pino({ level: 'silent' });

test('a window longer than the live one is charted from the analytics rollups', async (t) => {
  const broker = await startTestBroker(t);
  const dir = await tempDir('sluice-dashboard-rollups-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  await createTopicOn(broker.bootstrap, 'metrics', 1);
  // On a minute boundary: both 10 s windows fall in one 1 min step.
  const base = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
  const at = (from: number, to: number) => ({ startTs: base + from, ts: base + to });
  const old: MetricPoint[] = [
    {
      name: 'http.server.requests',
      attributes: { route: '/cart' },
      ...at(0, 10_000),
      type: 'sum',
      temporality: 'delta',
      monotonic: true,
      value: 30,
    },
    {
      name: 'http.server.requests',
      attributes: { route: '/cart' },
      ...at(10_000, 20_000),
      type: 'sum',
      temporality: 'delta',
      monotonic: true,
      value: 60,
    },
    { name: 'db.pool.in_use', attributes: {}, ...at(0, 4_000), type: 'gauge', value: 3 },
    { name: 'db.pool.in_use', attributes: {}, ...at(4_000, 8_000), type: 'gauge', value: 5 },
    {
      name: 'http.server.duration',
      attributes: {},
      ...at(0, 10_000),
      type: 'histogram',
      temporality: 'delta',
      bounds: [10, 100],
      counts: [1, 2, 1],
      count: 4,
      sum: 200,
      min: 5,
      max: 120,
    },
  ] as MetricPoint[];
  await produce(broker.bootstrap, 'metrics', old.map(metricRecord));

  const parse = (components: Record<string, Record<string, unknown>>) => ({
    ...topology.parse({
      dataDir: dir,
      buses: { main: { kind: 'kafka', bootstrap: broker.bootstrap.split(',') } },
      streams: { metrics: { bus: 'main', topic: 'metrics' } },
      components,
    }),
    resolved: true as const,
  });
  const analytics = await startComponent(parse({ analytics: { kind: 'analytics' } }), 'analytics', {
    logger: silent,
  });
  let analyticsStopped = false;
  t.after(() => (analyticsStopped ? undefined : analytics.stop()));
  await waitFor(
    async () => {
      const res = await fetch(`http://127.0.0.1:${analytics.httpPort}/status`);
      const { details } = (await res.json()) as ComponentStatus;
      return (details.streams as Record<string, Record<string, number>>).metrics['rolled-up'] === old.length;
    },
    { what: 'analytics to roll up the old points' },
  );
  const resolved = parse({
    analytics: { kind: 'analytics', httpPort: analytics.httpPort },
    dash: { kind: 'dashboard', streams: ['metrics'] },
  });
  const dashboard = await startComponent(resolved, 'dash', { logger: silent });
  t.after(() => dashboard.stop());
  const dash = `http://127.0.0.1:${dashboard.httpPort}`;
  const history = async (window: string) => {
    const res = await fetch(`${dash}/api/v1/history?window=${window}`);
    assert.equal(res.status, 200);
    return (await res.json()) as { windowMs: number; series: { name: string }[]; rollups?: Rollups };
  };

  // Live points tell the dashboard the types of db.pool.in_use and http.server.requests (rollups do not
  // carry them); http.server.duration has none, so its type stays unknown.
  await waitFor(
    async () => {
      const now = Date.now();
      await produce(broker.bootstrap, 'metrics', [
        metricRecord({
          name: 'http.server.requests',
          attributes: { route: '/cart' },
          startTs: now - 1000,
          ts: now,
          type: 'sum',
          temporality: 'delta',
          monotonic: true,
          value: 1,
        }),
        metricRecord({
          name: 'db.pool.in_use',
          attributes: {},
          startTs: now - 1000,
          ts: now,
          type: 'gauge',
          value: 4,
        }),
      ]);
      const names = new Set((await history('5m')).series.map((s) => s.name));
      return names.has('db.pool.in_use') && names.has('http.server.requests');
    },
    { what: 'a live point in the dashboard window' },
  );

  await t.test(
    'GET /api/v1/history?window=2h has the rollups of points older than the live window',
    async () => {
      const answer = await history('2h');
      assert.equal(answer.windowMs, 7_200_000);
      assert.deepEqual(
        answer.series.map((s) => s.name).sort(),
        ['db.pool.in_use', 'http.server.requests'],
        'the live part holds only the live points',
      );
      const rollups = answer.rollups!;
      assert.equal(rollups.error, undefined);
      assert.equal(rollups.source, 'analytics');
      assert.equal(rollups.resolution, '10s');
      const oldOf = (name: string) => {
        const series = rollups.series.find((s) => s.name === name)!;
        const points = series.points.filter((p) => p.t < base + 60_000);
        return { ...series, points: points.map((p) => [p.t, p.count, p.sum, p.min, p.max]) };
      };
      const requests = oldOf('http.server.requests');
      assert.equal(requests.type, 'sum');
      assert.deepEqual(requests.attributes, { route: '/cart' });
      assert.deepEqual(requests.points, [
        [base, 1, 30, 30, 30],
        [base + 10_000, 1, 60, 60, 60],
      ]);
      assert.equal(oldOf('db.pool.in_use').type, 'gauge');
      assert.deepEqual(oldOf('db.pool.in_use').points, [[base, 2, 8, 3, 5]]);
      const duration = oldOf('http.server.duration');
      assert.equal(duration.type, undefined, 'no live point: the type is unknown');
      assert.deepEqual(duration.points, [[base, 4, 200, 5, 120]]);
    },
  );

  await t.test('the page draws a 6 h window as rate, mean, and mean of an unknown type', async () => {
    const { rollups } = await history('6h');
    assert.equal(rollups!.resolution, '1m');
    const atBase = rollupEntries(rollups!).filter((e) => e.t === base);
    const drawn = Object.fromEntries(atBase.map((e) => [e.name, [e.shown, e.values]]));
    assert.deepEqual(drawn, {
      'http.server.requests': ['rate/s = sum / 1m', { rate: 90 / 60 }],
      'db.pool.in_use': ['mean per 1m', { value: 4 }],
      'http.server.duration': ['mean per 1m, type unknown', { value: 50 }],
    });
    // A histogram whose type the live window knows, and a counter at 1 h steps.
    const point = { t: base, count: 4, sum: 7200, min: 5, max: 120, p50: 55, p90: 100, p99: 119 };
    const hourly = rollupEntries({
      resolution: '1h',
      series: [
        { name: 'h', type: 'histogram', attributes: {}, points: [point] },
        { name: 'c', type: 'sum', attributes: {}, points: [point] },
      ],
    });
    assert.deepEqual(
      hourly.map((e) => [e.name, e.shown, e.values]),
      [
        ['h', 'p50, p99 per 1h', { p50: 55, p99: 119 }],
        ['c', 'rate/s = sum / 1h', { rate: 2 }],
      ],
    );
  });

  await t.test('picking "6 h" on the page charts the rollups', async (tt) => {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') assert.fail(`${CHROMIUM} is missing (.ci/run installs it)`);
      return tt.skip(`${CHROMIUM} is missing: install Debian's chromium to run the page check`);
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM });
    tt.after(() => browser.close());
    const page = await browser.newPage();
    await page.goto(dash);
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 60_000 });
    await page.locator('#window-picker button[data-window="6h"]').click();
    await page.locator('#window-picker button[data-window="6h"][aria-pressed="true"]').waitFor();
    const title = (metric: string) => page.locator(`.chart[data-metric="${metric}"] h3`);
    await title('http.server.duration').waitFor({ timeout: 60_000 });
    assert.equal(
      await title('http.server.duration').textContent(),
      'http.server.duration — mean per 1m, type unknown',
    );
    assert.equal(
      await page.locator('.chart[data-metric="http.server.duration"]').getAttribute('data-points'),
      '1',
      'its one old 1 min step',
    );
    assert.equal(
      await title('http.server.requests').textContent(),
      'http.server.requests — rate/s = sum / 1m',
    );
    assert.equal(await title('db.pool.in_use').textContent(), 'db.pool.in_use — mean per 1m');
    assert.equal(await page.locator('#history-note').isHidden(), true);

    // Analytics gone: the page says why there is no history instead of an empty chart area.
    await analytics.stop();
    analyticsStopped = true;
    await page.locator('#window-picker button[data-window="24h"]').click();
    await page.locator('#history-note:not([hidden])').waitFor({ timeout: 60_000 });
    assert.match(
      (await page.locator('#history-note').textContent()) ?? '',
      /^No history beyond the live window: analytics component 'analytics' at http:\/\/127\.0\.0\.1:\d+\/api\/v1 is unreachable: .+/,
    );
    assert.equal(await page.locator('.chart').count(), 0);
  });
});
