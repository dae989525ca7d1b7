// The resilient publisher against a real bus that goes away: a bus (stoppable-bus.ts: the embedded broker
// as a child process, or a 1-node Apache Kafka with SLUICE_TEST_TARGET=kafka) is stopped while a producer
// publishes, then restarted on the same port and data.
//   SLUICE_OUTAGE_SECONDS (default 30) and SLUICE_OUTAGE_RATE (default 1000/s): the full size.
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

const OUTAGE_S = Number(process.env.SLUICE_OUTAGE_SECONDS ?? 30);
const RATE = Number(process.env.SLUICE_OUTAGE_RATE ?? 1000);
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

/**
 * Publishes seq 0..total-1 at RATE/s to every publisher, pacing in 10 ms steps; calls `during` (not
 * awaited by the loop) once `at` records are out. A publisher that blocks (whenFull: block) gets its
 * records queued behind the wait, in order: the promises it returned are collected in `waits`.
 */
async function publishPaced(
  publishers: Publisher[],
  total: number,
  at: number,
  during: () => Promise<void>,
  waits: Promise<void>[][],
): Promise<void> {
  const perStep = Math.max(1, Math.round(RATE / 100));
  let pending: Promise<void> | undefined;
  for (let seq = 0; seq < total;) {
    for (let i = 0; i < perStep && seq < total; i++, seq++) {
      publishers.forEach((p, n) => {
        const r = p.publish(record(seq));
        if (r instanceof Promise) waits[n].push(r);
      });
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

function assertOrderPerKey(got: { seq: number; key: string }[], what: string): void {
  const last = new Map<string, number>();
  for (const { seq, key } of got) {
    assert.ok((last.get(key) ?? -1) < seq, `${what}: key ${key}: ${seq} after ${last.get(key)}`);
    last.set(key, seq);
  }
}

// The four buffer policies as four producers (each its own topic) through one and the same outage.
test('one outage, four buffer policies: disk exactly once; drops equal what is missing; block drops nothing', async (t) => {
  const bus = await startBus(t);
  const topics = [bus.topic];
  for (let i = 1; i < 4; i++) {
    topics.push(uniqueTopic('publisher'));
    await bus.bus.createTopic(topics[i], 1);
  }
  const dir = await tempDir('sluice-publisher-buffer-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  const small = (whenFull: 'drop_newest' | 'drop_oldest' | 'block') => ({
    kind: 'memory' as const,
    maxBytes: 16 << 10,
    whenFull,
  });
  const buffers: PublisherOptions['buffer'][] = [
    { kind: 'disk', dir, maxBytes: 256 << 20, whenFull: 'block' },
    small('drop_newest'),
    small('drop_oldest'),
    small('block'),
  ];
  const publishers = await Promise.all(
    buffers.map((buffer, i) =>
      Publisher.open({
        ...options({ ...bus, topic: topics[i] }, buffer),
        ...(buffer.kind === 'memory' ? { maxBatchBytes: 4 << 10 } : {}),
      }),
    ),
  );
  const [disk, newest, oldest, block] = publishers;
  const waits: Promise<void>[][] = publishers.map(() => []);
  const total = Math.round(RATE * (OUTAGE_S + 2));
  await publishPaced(
    publishers,
    total,
    Math.round(RATE / 2),
    async () => {
      await bus.bus.stop(SIGNAL);
      await waitFor(() => publishers.every((p) => p.state.breaker === 'open'), {
        what: 'every breaker to open',
      });
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_S * 1000)); // the outage itself
      await bus.bus.start();
    },
    waits,
  );
  await Promise.all(waits[3]);
  for (const p of publishers) {
    await p.flush(120_000);
    await p.close(10_000);
  }
  const got = await Promise.all(topics.map((topic) => readBack(bus.port, topic)));
  const all = Array.from({ length: total }, (_, i) => i);

  assert.deepEqual(disk.state.dropped, {});
  assert.deepEqual(
    got[0].map((r) => r.seq).sort((a, b) => a - b),
    all,
    'disk: every record exactly once',
  );
  for (const [n, p] of [
    [1, newest],
    [2, oldest],
  ] as const) {
    const seen = new Set(got[n].map((r) => r.seq));
    const missing = total - seen.size;
    const dropped = Object.values(p.state.dropped).reduce((a, b) => a + b, 0);
    assert.ok(missing > 0, `${buffers[n].whenFull}: the small buffer overflowed`);
    assert.equal(
      missing,
      dropped,
      `${buffers[n].whenFull}: missing ${missing} vs ${JSON.stringify(p.state.dropped)}`,
    );
    assert.equal(seen.size, got[n].length, `${buffers[n].whenFull}: no duplicates`);
  }
  // Which records each policy keeps is asserted exactly in test/sdk/publisher/memory-buffer.test.ts.
  assert.ok(newest.state.dropped.drop_newest > 0);
  assert.ok(oldest.state.dropped.drop_oldest > 0);
  assert.ok(waits[3].length > 0, 'block: the caller saw backpressure');
  assert.deepEqual(block.state.dropped, {});
  assert.deepEqual(
    got[3].map((r) => r.seq),
    all,
    'block: every record, once, in order',
  );
  got.forEach((g, n) => assertOrderPerKey(g, `${buffers[n].kind}/${buffers[n].whenFull}`));
  t.diagnostic(
    `${total} records per producer through a ${OUTAGE_S} s outage at ${RATE}/s; ` +
      `dropped: drop_newest ${JSON.stringify(newest.state.dropped)}, drop_oldest ${JSON.stringify(oldest.state.dropped)}; ` +
      `block: ${waits[3].length} calls waited`,
  );
});

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
