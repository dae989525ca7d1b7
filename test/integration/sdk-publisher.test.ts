// The disk buffer across a producer crash, against a real bus (stoppable-bus.ts: the embedded broker as a
// child process, or a 1-node Apache Kafka with SLUICE_TEST_TARGET=kafka) that is down while the producer
// buffers. The outage scenarios with every buffer policy are in sdk-publisher-outage.test.ts.
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
import { OUTAGE_BREAKER } from '../helpers/outage-breaker.ts';

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
    breaker: OUTAGE_BREAKER,
    buffer,
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
  };
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
