// The resilient publisher against a real bus that goes away: a bus (stoppable-bus.ts: the embedded broker
// as a child process, or a 1-node Apache Kafka with SLUICE_TEST_TARGET=kafka) is stopped while a producer
// publishes, then restarted on the same port and data.
//   SLUICE_OUTAGE_SECONDS (default 3) and SLUICE_OUTAGE_RATE (default 300/s): the full size is 30 × 1000.
//   SLUICE_OUTAGE_SIGNAL (default SIGTERM, a clean stop; SIGKILL for a crash) takes the bus down.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Publisher } from '../../src/sdk/publisher/index.ts';
import type { PublisherOptions } from '../../src/sdk/publisher/index.ts';
import { tempDir } from '../helpers/broker.ts';
import { fetchAll } from '../helpers/records-io.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { startStoppableBus } from '../helpers/stoppable-bus.ts';
import type { StoppableBus } from '../helpers/stoppable-bus.ts';
import { uniqueTopic } from '../helpers/target.ts';
import { waitFor } from '../helpers/wait-for.ts';

const OUTAGE_S = Number(process.env.SLUICE_OUTAGE_SECONDS ?? 3);
const RATE = Number(process.env.SLUICE_OUTAGE_RATE ?? 300);
const KEYS = 10;
const SIGNAL = outageSignal(process.env.SLUICE_OUTAGE_SIGNAL);

function outageSignal(value = 'SIGTERM'): 'SIGTERM' | 'SIGKILL' {
  if (value !== 'SIGTERM' && value !== 'SIGKILL') {
    throw new Error(`SLUICE_OUTAGE_SIGNAL must be SIGTERM or SIGKILL, got "${value}"`);
  }
  return value;
}

interface Bus {
  bus: StoppableBus;
  port: number;
  topic: string;
}

async function startBus(t: TestContext): Promise<Bus> {
  const bus = await startStoppableBus(t);
  const topic = uniqueTopic('publisher');
  await bus.createTopic(topic, 1);
  return { bus, port: bus.port, topic };
}

function options(bus: Bus, buffer: PublisherOptions['buffer']): PublisherOptions {
  return {
    stream: 'outage',
    bus: { bootstrap: [bus.bus.bootstrap], connectTimeoutMs: 1000, requestTimeoutMs: 3000 },
    topic: bus.topic,
    acks: -1,
    idempotent: false,
    lingerMs: 10,
    maxBatchBytes: 16 << 10,
    breaker: {
      consecutiveFailures: 3,
      failureRatio: 0.5,
      windowMs: 5000,
      minThroughput: 10,
      halfOpenAfterMs: 100,
      maxHalfOpenAfterMs: 1000,
      closeAfterSuccesses: 2,
    },
    buffer,
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
  };
}

const record = (seq: number) => ({
  key: Buffer.from(`k${seq % KEYS}`),
  value: Buffer.from(JSON.stringify({ seq })),
  headers: { seq: Buffer.from(String(seq)) },
});

/** Publishes at RATE/s, pacing in 10 ms steps; calls `during` (awaited) once `at` records are out. */
async function publishPaced(
  p: Publisher,
  total: number,
  at: number,
  during: () => Promise<void>,
): Promise<void> {
  const perStep = Math.max(1, Math.round(RATE / 100));
  let pending: Promise<void> | undefined;
  for (let seq = 0; seq < total;) {
    for (let i = 0; i < perStep && seq < total; i++, seq++) {
      const r = p.publish(record(seq));
      if (r instanceof Promise) await r;
      if (seq === at) pending = during();
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await pending;
}

async function readBack(port: number, topic: string): Promise<{ seq: number; key: string }[]> {
  const client = await RawClient.connect(port, '127.0.0.1');
  try {
    const { records } = await fetchAll(client, topic, 0);
    return records.map((r) => ({
      seq: (JSON.parse(r.value!.toString()) as { seq: number }).seq,
      key: r.key!.toString(),
    }));
  } finally {
    client.close();
  }
}

function assertOrderPerKey(got: { seq: number; key: string }[]): void {
  const last = new Map<string, number>();
  for (const { seq, key } of got) {
    assert.ok((last.get(key) ?? -1) < seq, `key ${key}: ${seq} after ${last.get(key)}`);
    last.set(key, seq);
  }
}

test('outage with a big disk buffer: every record arrives exactly once, in order per key', async (t) => {
  const bus = await startBus(t);
  const dir = await tempDir('sluice-publisher-buffer-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  const p = await Publisher.open(options(bus, { kind: 'disk', dir, maxBytes: 256 << 20, whenFull: 'block' }));
  const total = Math.round(RATE * (OUTAGE_S + 2));
  await publishPaced(p, total, Math.round(RATE / 2), async () => {
    await bus.bus.stop(SIGNAL);
    await waitFor(() => p.state.breaker === 'open', { what: 'the breaker to open' });
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_S * 1000)); // the outage itself
    await bus.bus.start();
  });
  await p.flush(120_000);
  await p.close(10_000);
  assert.deepEqual(p.state.dropped, {});
  const got = await readBack(bus.port, bus.topic);
  const seqs = got.map((r) => r.seq);
  assert.equal(new Set(seqs).size, got.length, 'no duplicates');
  assert.deepEqual(
    [...seqs].sort((a, b) => a - b),
    Array.from({ length: total }, (_, i) => i),
  );
  assertOrderPerKey(got);
  t.diagnostic(`${total} records through a ${OUTAGE_S} s outage at ${RATE}/s`);
});

for (const whenFull of ['drop_newest', 'drop_oldest'] as const) {
  test(`outage with a small memory buffer (${whenFull}): missing records equal the drop counter`, async (t) => {
    const bus = await startBus(t);
    const p = await Publisher.open({
      ...options(bus, { kind: 'memory', maxBytes: 16 << 10, whenFull }),
      maxBatchBytes: 4 << 10,
    });
    const total = Math.round(RATE * (OUTAGE_S + 2));
    await publishPaced(p, total, Math.round(RATE / 2), async () => {
      await bus.bus.stop(SIGNAL);
      await waitFor(() => p.state.breaker === 'open', { what: 'the breaker to open' });
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_S * 1000));
      await bus.bus.start();
    });
    await p.flush(120_000);
    await p.close(10_000);
    const got = await readBack(bus.port, bus.topic);
    const seen = new Set(got.map((r) => r.seq));
    const missing = total - seen.size;
    const dropped = Object.values(p.state.dropped).reduce((a, b) => a + b, 0);
    assert.ok(missing > 0);
    assert.equal(missing, dropped, `missing ${missing} vs dropped ${JSON.stringify(p.state.dropped)}`);
    assert.equal(seen.size, got.length, 'no duplicates');
    assertOrderPerKey(got);
    t.diagnostic(`${total} published, ${missing} missing = ${JSON.stringify(p.state.dropped)}`);
  });
}

test('a producer SIGKILLed with a non-empty disk buffer is restarted and delivers it', async (t) => {
  const bus = await startBus(t);
  await bus.bus.stop(SIGNAL);
  const dir = await tempDir('sluice-publisher-killed-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  const count = 2000;
  const child = spawn(
    process.execPath,
    [
      new URL('./fixtures/publisher-child.ts', import.meta.url).pathname,
      bus.bus.bootstrap,
      bus.topic,
      dir,
      String(count),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  await waitFor(() => out.includes('buffered'), { what: 'the child to buffer its records' });
  assert.match(out, new RegExp(`buffered ${count}`));
  child.kill('SIGKILL');
  await exited;
  await bus.bus.start();
  const p = await Publisher.open(options(bus, { kind: 'disk', dir, maxBytes: 10 << 20, whenFull: 'block' }));
  assert.equal(p.state.bufferedRecords, count);
  await p.flush(60_000);
  await p.close(10_000);
  const got = await readBack(bus.port, bus.topic);
  assert.deepEqual(
    got.map((r) => r.seq),
    Array.from({ length: count }, (_, i) => i),
  );
});
