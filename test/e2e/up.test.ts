// The whole system as a user sees it: `sluice up` (a child process) with three embedded buses, the
// dashboard and two demo producers, driven through the dashboard in headless Chromium. A chart receives
// live points; `sluice chaos stop metrics` shows the metrics bus down, the producers' metrics breakers open
// and their buffers growing while logs still flow; `sluice chaos start metrics` drains the buffers and the
// dashboard's lag returns to near zero. SIGINT leaves no process. Screenshots go to test-artifacts/e2e-up/
// (dashboard.png, the outage as a browser window shows it, is the README's docs/img/dashboard.png).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import type { SystemReport } from '../../src/supervisor/status-report.ts';
import { waitFor } from '../helpers/wait-for.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = path.join(ROOT, 'src/cli/main.ts');
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e-up');
/** Generous: on a loaded 2-core machine the buses and services take a while to start. */
const SLOW = { deadlineMs: 240_000, everyMs: 250 };

const TOPOLOGY = `dataDir: ./data
buses:
  metrics: { kind: embedded, durability: none }
  logs: { kind: embedded, durability: none }
  events: { kind: embedded, durability: none }
streams:
  metrics:
    bus: metrics
    topic: e2e.metrics
    partitions: 2
    buffer: { kind: disk, maxBytes: 16777216, whenFull: drop_oldest }
  logs: { bus: logs, topic: e2e.logs, partitions: 1, acks: 1 }
  events: { bus: events, topic: e2e.events, partitions: 1 }
components:
  dashboard: { kind: dashboard, healthIntervalMs: 1000, probeTimeoutMs: 3000 }
  frontend: { kind: frontend, rate: 20 }
  payments: { kind: payments, rate: 10 }
`;

function sluice(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Chromium is required in CI (.ci/run installs it); elsewhere its absence skips with a reason. */
function chromiumOrSkip(t: TestContext): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') {
    assert.fail(
      `${CHROMIUM} is missing: the browser end-to-end test needs Debian's chromium (.ci/run installs it)`,
    );
  }
  t.skip(`${CHROMIUM} is missing: install Debian's chromium to run the browser end-to-end test`);
  return false;
}

async function attr(page: Page, selector: string, name: string): Promise<string | undefined> {
  const found = page.locator(selector);
  if ((await found.count()) === 0) return undefined;
  return (await found.first().getAttribute(name)) ?? undefined;
}
const numberAttr = async (page: Page, selector: string, name: string): Promise<number | undefined> => {
  const value = await attr(page, selector, name);
  return value === undefined ? undefined : Number(value);
};

test('sluice up in a browser: live charts, a metrics bus outage on the health board, recovery; Ctrl-C leaves nothing', async (t) => {
  if (!chromiumOrSkip(t)) return;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-e2e-'));
  const dataDir = path.join(dir, 'data');
  const config = path.join(dir, 'topology.yaml');
  await writeFile(config, TOPOLOGY);
  await rm(ARTIFACTS, { recursive: true, force: true });
  await mkdir(ARTIFACTS, { recursive: true });

  const up = spawn(process.execPath, [MAIN, 'up', '--config', config, '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  up.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
  up.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
  const exited = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
  const pids = new Set<number>();
  t.after(async () => {
    if (up.exitCode === null && up.signalCode === null) {
      up.kill('SIGINT');
      await exited;
    }
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  await waitFor(() => output.includes('sluice up: running') || up.exitCode !== null, {
    what: 'sluice up to start',
    ...SLOW,
  });
  assert.match(output, /sluice up: running/, output);
  const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
  assert.ok(url, `sluice up printed no dashboard URL:\n${output}`);
  const collectPids = async (): Promise<void> => {
    const got = await sluice('status', '--data-dir', dataDir, '--json');
    assert.equal(got.code, 0, got.stderr);
    for (const c of (JSON.parse(got.stdout) as SystemReport).components) if (c.pid !== null) pids.add(c.pid);
  };
  await collectPids();

  const browser = await chromium.launch({ executablePath: CHROMIUM });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
  const screenshot = async (name: string, fullPage = true): Promise<void> => {
    const file = path.join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage });
    t.diagnostic(`screenshot: ${path.relative(ROOT, file)}`);
  };
  await waitFor(async () => (await page.goto(url).catch(() => null))?.ok() ?? false, {
    what: 'the dashboard page to load',
    ...SLOW,
  });

  // A chart receives live points (over SSE, after the history).
  await page.locator('#connection[data-state="live"]').waitFor({ timeout: SLOW.deadlineMs });
  const chart = '.chart[data-metric="http.server.requests"]';
  await page.locator(chart).waitFor({ timeout: SLOW.deadlineMs });
  const before = (await numberAttr(page, chart, 'data-received')) ?? 0;
  await waitFor(async () => ((await numberAttr(page, chart, 'data-received')) ?? 0) > before, {
    what: 'the http.server.requests chart to receive live points',
    ...SLOW,
  });
  await page.locator('tr[data-bus="metrics"][data-up="true"]').waitFor({ timeout: SLOW.deadlineMs });
  await screenshot('1-running');

  // The metrics bus stops: the health board says so (it does not learn it through that bus), the
  // front end's metrics breaker opens and its buffer grows, and logs keep flowing on their own bus.
  const stopped = await sluice('chaos', 'stop', 'metrics', '--data-dir', dataDir);
  assert.equal(stopped.code, 0, stopped.stderr);
  const logsAtStop = (await numberAttr(page, '#logs-count', 'data-count')) ?? 0;
  await page.locator('tr[data-bus="metrics"][data-up="false"]').waitFor({ timeout: SLOW.deadlineMs });
  const producer = 'tr[data-component="frontend"][data-stream="metrics"]';
  await page.locator(`${producer}[data-breaker="open"]`).waitFor({ timeout: SLOW.deadlineMs });
  const buffered = await waitFor(
    async () => (await numberAttr(page, producer, 'data-buffered')) || undefined,
    {
      what: "the front end's metrics buffer to hold records",
      ...SLOW,
    },
  );
  await waitFor(async () => ((await numberAttr(page, producer, 'data-buffered')) ?? 0) > buffered, {
    what: "the front end's metrics buffer to grow",
    ...SLOW,
  });
  await waitFor(async () => ((await numberAttr(page, '#logs-count', 'data-count')) ?? 0) > logsAtStop, {
    what: 'logs to keep flowing while the metrics bus is down',
    ...SLOW,
  });
  assert.equal(await attr(page, 'tr[data-bus="logs"]', 'data-up'), 'true');
  await screenshot('2-metrics-bus-down');
  await screenshot('dashboard', false);

  // It starts again: the buffers drain, and the dashboard's metrics consumer catches up.
  const started = await sluice('chaos', 'start', 'metrics', '--data-dir', dataDir);
  assert.equal(started.code, 0, started.stderr);
  await page.locator('tr[data-bus="metrics"][data-up="true"]').waitFor({ timeout: SLOW.deadlineMs });
  await page
    .locator(`${producer}[data-breaker="closed"][data-buffered="0"]`)
    .waitFor({ timeout: SLOW.deadlineMs });
  const lag = 'tr[data-component="dashboard"][data-topic="e2e.metrics"]';
  await waitFor(async () => ((await numberAttr(page, lag, 'data-lag')) ?? Infinity) <= 10, {
    what: "the dashboard's metrics lag to return near zero",
    ...SLOW,
  });
  await screenshot('3-recovered');
  await collectPids();

  // Ctrl-C: everything stops, nothing is left behind.
  up.kill('SIGINT');
  assert.equal(await exited, 0, output);
  for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still runs after SIGINT`);
});
