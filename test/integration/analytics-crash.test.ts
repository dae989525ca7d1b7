// Analytics as a child process (`sluice service`, run from source) SIGKILLed mid-stream 5 times and restarted,
// while the input keeps arriving (also while it is down: it backfills from the bus on restart) → its rollups
// are identical, row by row and byte by byte (sketches included), to those of an uninterrupted run over the
// same input. Runs on the embedded broker or Apache Kafka (test/helpers/target.ts).
//
// Knobs: SLUICE_ANALYTICS_POINTS (default 3000), SLUICE_ANALYTICS_KILLS (default 5), SLUICE_ANALYTICS_SEED.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import type { MetricPoint } from '../../src/sdk/index.ts';
import type { ComponentStatus } from '../../src/services/runtime.ts';
import { startComponent } from '../../src/services/start-component.ts';
import { tempDir } from '../helpers/broker.ts';
import { prng, seedFrom, type Prng } from '../helpers/prng.ts';
import { startTarget, uniqueTopic, type Target } from '../helpers/target.ts';
import { waitFor } from '../helpers/wait-for.ts';
import {
  analyticsTopology,
  metricRecord,
  produce,
  rawRecord,
  type RawRecord,
} from '../services/analytics/harness.ts';

const POINTS = Number(process.env.SLUICE_ANALYTICS_POINTS ?? 3000);
const KILLS = Number(process.env.SLUICE_ANALYTICS_KILLS ?? 5);
const SEED = seedFrom('SLUICE_ANALYTICS_SEED');
const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const HOUR = 3_600_000;

let target: Target;
let dir: string;
before(async () => {
  target = await startTarget();
  dir = await tempDir('sluice-analytics-crash-');
});
after(async () => {
  await target.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Random points of 12 series (gauges with negative values, counters, histograms) over 2 hours, and poison. */
function randomInput(random: Prng): { records: RawRecord[]; observations: number } {
  const start = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
  const records: RawRecord[] = [];
  let observations = 0;
  for (let i = 0; i < POINTS; i++) {
    const s = random.int(0, 11);
    const attributes = { host: `h${s % 3}` };
    const ts = start + random.int(1, 2 * HOUR);
    const base = { attributes, startTs: ts - 10_000, ts };
    let point: MetricPoint;
    if (s < 6) {
      point = {
        ...base,
        name: s < 3 ? 'temperature' : 'queue.depth',
        type: 'gauge',
        value: (random.next() - 0.3) * 100,
      };
      observations += 1;
    } else if (s < 9) {
      point = {
        ...base,
        name: 'requests',
        type: 'sum',
        temporality: 'delta',
        monotonic: true,
        value: random.int(0, 500),
      };
      observations += 1;
    } else {
      const counts = Array.from({ length: 5 }, () => random.int(0, 20));
      counts[1] += 1; // never empty
      const count = counts.reduce((a, b) => a + b, 0);
      const min = random.next() * 5;
      point = {
        ...base,
        name: 'latency',
        type: 'histogram',
        temporality: 'delta',
        bounds: [5, 10, 50, 100],
        counts,
        count,
        sum: count * (min + random.next() * 40),
        min,
        max: 100 + random.next() * 900,
      };
      observations += count;
    }
    records.push(metricRecord(point));
    if (random.int(0, 499) === 0) records.push(rawRecord('{"v":1,"kind":"metric"', `poison-${i}`));
  }
  return { records, observations };
}

/** The store's offsets for `group` add up to `total`: every record is rolled up (or dead-lettered). */
function caughtUp(file: string, group: string, total: number): boolean {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file, { readOnly: true });
    const row = db
      .prepare('SELECT sum(next_offset) AS n FROM sluice_consumer_offsets WHERE consumer_group = ?')
      .get(group) as { n: number | null };
    return row.n === total;
  } catch {
    return false; // not created yet
  } finally {
    db?.close();
  }
}

function rows(file: string): Record<string, unknown>[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db
      .prepare('SELECT * FROM rollups ORDER BY name, resolution, window_start, attributes')
      .all()
      .map((r) => ({ ...r, sketch: Buffer.from(r.sketch as Uint8Array).toString('hex') }));
  } finally {
    db.close();
  }
}

interface Child {
  port(): number | undefined;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

function startChild(topologyFile: string, name: string): Child {
  const child = spawn(process.execPath, [CLI, 'service', name, '--topology', topologyFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let port: number | undefined;
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    port ??= Number(/listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)?.[1]) || undefined;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { port: () => port, output: () => out, exited, kill: (signal) => void child.kill(signal) };
}

async function rolledUp(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/status`);
  const { details } = (await res.json()) as ComponentStatus;
  const streams = details.streams as Record<string, Record<string, number>>;
  return streams.metrics['rolled-up'];
}

test(`analytics SIGKILLed ${KILLS} times mid-stream keeps rollups identical to an uninterrupted run (seed ${SEED})`, async () => {
  const random = prng(SEED);
  const topic = uniqueTopic('analytics-crash');
  await target.createTopic(topic, 3);
  await target.createTopic(`${topic}.dlq`, 1);
  const { records, observations } = randomInput(random);
  const resolved = analyticsTopology(dir, target.bootstrap, topic, {
    crashing: { sessionTimeoutMs: 6000 },
    reference: {},
  });
  const topologyFile = join(dir, 'topology.json');
  await writeFile(topologyFile, JSON.stringify(resolved));
  const store = (name: string): string => join(dir, 'components', name, 'rollups.db');

  // KILLS children, each killed at a random point of its work; the input arrives in KILLS + 1 chunks, the
  // first half of each while no analytics runs (it backfills on start), the second half while one does.
  const chunk = Math.ceil(records.length / (KILLS + 1));
  for (let k = 0; k < KILLS; k++) {
    const [from, middle, to] = [k * chunk, k * chunk + Math.floor(chunk / 2), (k + 1) * chunk];
    await produce(target.bootstrap, topic, records.slice(from, middle)); // while no analytics runs
    const child = startChild(topologyFile, 'crashing');
    const port = await Promise.race([
      waitFor(() => child.port(), { what: `child ${k + 1} to listen` }),
      child.exited.then((how) => {
        throw new Error(
          `child ${k + 1} exited (${JSON.stringify(how)}) before listening:\n${child.output()}`,
        );
      }),
    ]);
    await produce(target.bootstrap, topic, records.slice(middle, to)); // while it runs
    const killAt = random.int(1, Math.floor(chunk / 2)); // reachable even if the chunk holds poison
    await waitFor(async () => (await rolledUp(port)) >= killAt, {
      what: `child ${k + 1} to roll up ${killAt} points\n${child.output()}`,
      deadlineMs: 120_000,
      everyMs: 5,
    });
    child.kill('SIGKILL');
    assert.equal((await child.exited).signal, 'SIGKILL');
  }
  const last = startChild(topologyFile, 'crashing');
  await waitFor(() => last.port(), { what: `the last child to listen\n${last.output()}` });
  await produce(target.bootstrap, topic, records.slice(KILLS * chunk));
  await waitFor(() => caughtUp(store('crashing'), 'sluice-analytics-crashing', records.length), {
    what: `the last child to catch up\n${last.output()}`,
    deadlineMs: 180_000,
    everyMs: 200,
  });
  last.kill('SIGTERM');
  assert.deepEqual(await last.exited, { code: 0, signal: null }, last.output());

  // The uninterrupted run over the same input, in this process.
  const reference = await startComponent(resolved, 'reference', { logger: pino({ level: 'silent' }) });
  try {
    await waitFor(() => caughtUp(store('reference'), 'sluice-analytics-reference', records.length), {
      what: 'the reference run to catch up',
      deadlineMs: 180_000,
      everyMs: 200,
    });
  } finally {
    await reference.stop();
  }

  const crashed = rows(store('crashing'));
  const uninterrupted = rows(store('reference'));
  // Every observation counted exactly once, in each resolution.
  for (const resolution of ['10s', '1m', '1h']) {
    const total = uninterrupted
      .filter((r) => r.resolution === resolution)
      .reduce((n, r) => n + Number(r.count), 0);
    assert.equal(total, observations, `${resolution} rollups count every observation once`);
  }
  assert.equal(crashed.length, uninterrupted.length);
  for (let i = 0; i < crashed.length; i++) assert.deepEqual(crashed[i], uninterrupted[i], `row ${i}`);
});
