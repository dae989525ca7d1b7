// Shared set-up of the publisher's unit tests: a fake bus, a manual clock, a private registry and a
// captured log, so each test sees only its own publisher.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Publisher } from '../../../src/sdk/publisher/publisher.ts';
import type { PublisherOptions } from '../../../src/sdk/publisher/options.ts';
import type { BufferedRecord } from '../../../src/sdk/publisher/store.ts';
import { FakeBus, ManualClock } from './fakes.ts';

/**
 * A record of exactly REC bytes in a batch (`v<n>` padded; a fixed timestamp, so its delta is always 0):
 * a batch of n of them is batchOf(n) bytes, the 61-byte batch header included.
 */
export function rec(n: number, key: string | null = null): BufferedRecord {
  const value = Buffer.alloc(84 - (key === null ? 0 : key.length), ' ');
  value.write(`v${n}`);
  return { key: key === null ? null : Buffer.from(key), value, headers: {}, timestamp: 0n };
}

export const REC = 93;
export const batchOf = (n: number): number => 61 + REC * n;

export function valueOf(r: { value: Buffer }): string {
  return r.value.toString().trim();
}

/**
 * The publisher options of the unit tests, before a test's own: one record per batch, room for ten, a breaker
 * that opens after 3 failures, is half-open after 1 s (doubling to 4 s) and closes after 2 successes.
 */
export function testOptions(overrides: Partial<PublisherOptions> = {}): PublisherOptions {
  return {
    stream: 'test',
    bus: { bootstrap: ['127.0.0.1:1'] },
    topic: 't',
    acks: -1,
    idempotent: false,
    lingerMs: 0,
    maxBatchBytes: batchOf(1),
    breaker: {
      consecutiveFailures: 3,
      failureRatio: 1,
      windowMs: 10_000,
      minThroughput: 100,
      halfOpenAfterMs: 1000,
      maxHalfOpenAfterMs: 4000,
      closeAfterSuccesses: 2,
    },
    buffer: { kind: 'memory', maxBytes: 10 * batchOf(1), whenFull: 'drop_newest' },
    ...overrides,
  };
}

export interface Rig {
  publisher: Publisher;
  bus: FakeBus;
  clock: ManualClock;
  registry: Registry;
  logLines: () => { msg: string; from?: string; to?: string; reason?: string }[];
}

export async function rig(overrides: Partial<PublisherOptions> = {}, bus = new FakeBus()): Promise<Rig> {
  const clock = new ManualClock();
  const registry = new Registry();
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const publisher = await Publisher.open(
    testOptions({
      clock,
      logger: pino({ level: 'debug' }, sink),
      metrics: registry,
      transport: bus.transport,
      ...overrides,
    }),
  );
  return {
    publisher,
    bus,
    clock,
    registry,
    logLines: () => lines.map((l) => JSON.parse(l) as { msg: string }),
  };
}

/** Polls (real time) until `cond` holds; the publisher's pump runs on promises, not on the manual clock. */
export async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Brings a down bus up and walks the breaker through its back-off until everything buffered is sent. */
export async function recover(r: Rig): Promise<void> {
  r.bus.mode = 'up';
  await until(() => {
    if (r.publisher.state.bufferedRecords === 0) return true;
    r.clock.advance(1000);
    return false;
  }, 'the buffer to drain');
}
