import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { encodeEnvelope, envelopeHeaders, type Envelope } from '../../../src/sdk/index.ts';
import { createBusProducer, type BusProducer } from '../../../src/sdk/kafka-client.ts';
import type { RunningComponent } from '../../../src/services/runtime.ts';
import { startComponent } from '../../../src/services/start-component.ts';
import { topology, type ResolvedTopology } from '../../../src/topology/schema.ts';
import { tempDir } from '../../helpers/broker.ts';
import { startTarget, uniqueTopic } from '../../helpers/target.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { openSse, type SseConnection } from './sse-client.ts';

interface Setup {
  running: RunningComponent;
  base: string;
  resolved: ResolvedTopology;
  topics: { metrics: string; logs: string };
  producer: BusProducer;
}

async function setup(t: TestContext): Promise<Setup> {
  const target = await startTarget();
  t.after(() => target.stop());
  const topics = { metrics: uniqueTopic('metrics'), logs: uniqueTopic('logs') };
  await target.createTopic(topics.metrics, 3);
  await target.createTopic(topics.logs, 1);
  const dir = await tempDir('sluice-dashboard-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bootstrap = target.bootstrap.split(',');
  const resolved: ResolvedTopology = {
    ...topology.parse({
      dataDir: dir,
      buses: { main: { kind: 'kafka', bootstrap } },
      streams: { metrics: { bus: 'main', topic: topics.metrics }, logs: { bus: 'main', topic: topics.logs } },
      components: { dash: { kind: 'dashboard', streams: ['metrics', 'logs'], healthIntervalMs: 200 } },
    }),
    resolved: true,
  };
  const running = await startComponent(resolved, 'dash', { logger: pino({ level: 'silent' }) });
  t.after(() => running.stop());
  const producer = createBusProducer({ bootstrap }, { acks: -1, idempotent: false });
  t.after(() => producer.close());
  return { running, base: `http://127.0.0.1:${running.httpPort}`, resolved, topics, producer };
}

let seq = 0;
/** One gauge point per value; its attributes spread the series (and so the records) over partitions. */
async function sendGauges(s: Setup, values: number[]): Promise<void> {
  await s.producer.send(
    values.map((value) => {
      const envelope: Envelope = {
        v: 1,
        kind: 'metric',
        service: 'probe',
        producer: 'probe-1',
        stream: 'metrics',
        seq: seq++,
        ts: Date.now(),
        data: {
          name: 'test.value',
          attributes: { lane: value % 5 },
          startTs: Date.now() - 1000,
          ts: Date.now(),
          type: 'gauge',
          value,
        },
      };
      return {
        topic: s.topics.metrics,
        key: Buffer.from(`lane-${value % 5}`),
        value: encodeEnvelope(envelope),
        headers: envelopeHeaders(envelope),
      };
    }),
  );
}

interface WireEntry {
  kind: string;
  partition: number;
  offset: number;
  values?: { value?: number };
}
const valuesOf = (events: SseConnection['events']): number[] =>
  events.flatMap((e) => (e.data as { entries: WireEntry[] }).entries.map((x) => x.values?.value ?? NaN));
const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
const includesAll = (xs: number[], wanted: number[]): boolean => wanted.every((w) => xs.includes(w));
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

interface HistoryBody {
  lastEventId: string;
  series: { name: string; points: { partition: number; offset: number; values: { value: number } }[] }[];
  logs: { count: number };
}
async function history(s: Setup): Promise<HistoryBody> {
  const res = await fetch(`${s.base}/api/v1/history`);
  assert.equal(res.status, 200);
  return (await res.json()) as HistoryBody;
}
const historyValues = (h: HistoryBody): number[] =>
  h.series.flatMap((x) => x.points.map((p) => p.values.value));

test('the page, history and live points over SSE; a reconnect with Last-Event-ID gets exactly the missed points', async (t) => {
  const s = await setup(t);
  const page = await fetch(`${s.base}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>Sluice dashboard<\/title>/);
  const script = await fetch(`${s.base}/assets/main.js`);
  assert.equal(script.status, 200);
  assert.match(script.headers.get('content-type') ?? '', /javascript/);

  // A new group starts at the latest offsets: send until the dashboard has joined and sees points.
  let warm = -1000;
  await waitFor(
    async () => {
      await sendGauges(s, [warm++]);
      return historyValues(await history(s)).length > 0;
    },
    { what: 'the dashboard to receive its first point', everyMs: 200 },
  );
  const loaded = await history(s);
  for (const series of loaded.series) {
    for (const p of series.points) assert.ok(Number.isInteger(p.partition) && Number.isInteger(p.offset));
  }

  // Live from the history's cursor: exactly what was sent after it.
  const first = await openSse(`${s.base}/api/v1/live?from=${encodeURIComponent(loaded.lastEventId)}`);
  assert.equal(first.status, 200);
  await sendGauges(s, range(100, 20));
  await waitFor(() => includesAll(valuesOf(first.events), range(100, 20)), { what: 'the 20 live points' });
  assert.deepEqual(sorted(valuesOf(first.events)), range(100, 20));
  const lastId = first.events.at(-1)!.id!;
  first.close();

  // While the browser is away: 30 more points, held in the window.
  await sendGauges(s, range(200, 30));
  await waitFor(async () => includesAll(historyValues(await history(s)), range(200, 30)), {
    what: 'the window to hold the missed points',
  });

  // EventSource reconnects to the same URL and adds Last-Event-ID, which wins over `from`.
  const again = await openSse(`${s.base}/api/v1/live?from=${encodeURIComponent(loaded.lastEventId)}`, {
    'last-event-id': lastId,
  });
  t.after(() => again.close());
  await waitFor(() => again.events.length >= 1, { what: 'the catch-up event' });
  assert.equal(again.events[0].event, 'entries');
  assert.deepEqual(sorted(valuesOf(again.events)), range(200, 30));
  await sendGauges(s, range(300, 5));
  await waitFor(() => includesAll(valuesOf(again.events), range(300, 5)), {
    what: 'live points after the reconnect',
  });
  assert.deepEqual(sorted(valuesOf(again.events)), [...range(200, 30), ...range(300, 5)]);
  const entries = again.events.flatMap((e) => (e.data as { entries: WireEntry[] }).entries);
  const sources = new Set(entries.map((e) => `${e.partition}/${e.offset}`));
  assert.equal(sources.size, entries.length, 'each point once, tagged with its own partition and offset');
});

test('bad parameters get a 400 naming what was wrong', async (t) => {
  const s = await setup(t);
  const bad = await openSse(`${s.base}/api/v1/live`, { 'last-event-id': 'metrics=0:x' });
  assert.equal(bad.status, 400);
  bad.close();
  const badFrom = await fetch(`${s.base}/api/v1/live?from=nope`);
  assert.equal(badFrom.status, 400);
  assert.match(((await badFrom.json()) as { error: string }).error, /parameter 'from': bad part 'nope'/);
  const badWindow = await fetch(`${s.base}/api/v1/history?window=5w`);
  assert.equal(badWindow.status, 400);
  assert.match(((await badWindow.json()) as { error: string }).error, /parameter 'window'.*'5w'/);
  // A window longer than the live one, with no analytics component to ask: the answer says so.
  const longer = await fetch(`${s.base}/api/v1/history?window=2h`);
  assert.equal(longer.status, 200);
  const { windowMs, rollups } = (await longer.json()) as { windowMs: number; rollups: object };
  assert.equal(windowMs, 7_200_000);
  assert.deepEqual(rollups, { series: [], error: 'no analytics component in the topology' });
});

test('a Kafka-kind bus is probed with a Metadata request: up, with its broker count', async (t) => {
  const s = await setup(t);
  const bus = await waitFor(
    async () => {
      const res = await fetch(`${s.base}/api/v1/health`);
      const health = (await res.json()) as {
        buses: { name: string; kind: string; up: boolean; rates: object }[];
      };
      return health.buses.find((b) => b.name === 'main' && b.up);
    },
    { what: 'the bus to show up on the health board', everyMs: 100 },
  );
  assert.equal(bus.kind, 'kafka');
});

test("a restarted dashboard resumes a browser from the previous process's event id: exactly the missed points", async (t) => {
  const s = await setup(t);
  let warm = -1000;
  await waitFor(
    async () => {
      await sendGauges(s, [warm++]);
      return historyValues(await history(s)).length > 0;
    },
    { what: 'the dashboard to receive its first point', everyMs: 200 },
  );
  const loaded = await history(s);
  const first = await openSse(`${s.base}/api/v1/live?from=${encodeURIComponent(loaded.lastEventId)}`);
  await sendGauges(s, range(100, 10));
  await waitFor(() => includesAll(valuesOf(first.events), range(100, 10)), { what: 'the live points' });
  const lastId = first.events.at(-1)!.id!;
  first.close();

  // The dashboard stops (committing what it handled); points are sent while it is away; a new process
  // of it starts from the group's committed offsets.
  await s.running.stop();
  await sendGauges(s, range(200, 15));
  const restarted = await startComponent(s.resolved, 'dash', { logger: pino({ level: 'silent' }) });
  t.after(() => restarted.stop());
  const again: Setup = { ...s, running: restarted, base: `http://127.0.0.1:${restarted.httpPort}` };
  await waitFor(async () => includesAll(historyValues(await history(again)), range(200, 15)), {
    what: 'the restarted dashboard to consume the points sent while it was away',
  });
  const resumed = await openSse(`${again.base}/api/v1/live`, { 'last-event-id': lastId });
  t.after(() => resumed.close());
  await waitFor(() => resumed.events.length >= 1, { what: 'the catch-up event' });
  assert.equal(resumed.events[0].event, 'entries');
  assert.deepEqual(sorted(valuesOf(resumed.events)), range(200, 15));
  assert.notEqual(resumed.events[0].id!.split('@')[0], lastId.split('@')[0], 'a new process, a new epoch');
});
