// The outage, at its size: the bus (stoppable-bus.ts: the embedded broker as a child process, or a
// 1-node Apache Kafka with SLUICE_TEST_TARGET=kafka) is stopped for 30 s while producers emit 1,000
// events/s each. Four publishers, one per buffer policy, each on its own topic, go through the SAME outage:
//   disk, large enough   every event arrives exactly once per sequence number, in order per key
//   memory, drop_newest  the events missing are exactly the ones refused and counted; the oldest are kept
//   memory, drop_oldest  the events missing equal the drop counter; the newest are kept
//   memory, block        the caller is held back (publish returns a promise) and nothing is dropped
// Knobs for other sizes: SLUICE_OUTAGE_SECONDS (default 30), SLUICE_OUTAGE_RATE (events/s per producer,
// default 1000), SLUICE_OUTAGE_SIGNAL (SIGTERM, a clean stop, by default; SIGKILL for a crash).
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Publisher } from '../../src/sdk/publisher/index.ts';
import type { PublisherOptions } from '../../src/sdk/publisher/index.ts';
import { recordBytes } from '../../src/sdk/publisher/store.ts';
import { tempDir } from '../helpers/broker.ts';
import { fetchAll } from '../helpers/records-io.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { startStoppableBus } from '../helpers/stoppable-bus.ts';
import type { StoppableBus } from '../helpers/stoppable-bus.ts';
import { uniqueTopic } from '../helpers/target.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { OUTAGE_BREAKER } from '../helpers/outage-breaker.ts';

const OUTAGE_S = Number(process.env.SLUICE_OUTAGE_SECONDS ?? 30);
const RATE = Number(process.env.SLUICE_OUTAGE_RATE ?? 1000);
const SIGNAL = outageSignal(process.env.SLUICE_OUTAGE_SIGNAL);
const KEYS = 10;
/** Seconds of publishing before the bus is stopped, and after it serves again. */
const BEFORE_S = 1;
const AFTER_S = 2;
const SMALL_BATCH = 4 << 10;
const SMALL_BUFFER = 64 << 10;

function outageSignal(value = 'SIGTERM'): 'SIGTERM' | 'SIGKILL' {
  if (value !== 'SIGTERM' && value !== 'SIGKILL') {
    throw new Error(`SLUICE_OUTAGE_SIGNAL must be SIGTERM or SIGKILL, got "${value}"`);
  }
  return value;
}

type Policy = 'disk' | 'drop_newest' | 'drop_oldest' | 'block';

/** One producer's publisher and what its caller saw. */
interface Producer {
  policy: Policy;
  topic: string;
  publisher: Publisher;
  /** Records published so far: their sequence numbers are 0..published-1. */
  published: number;
  /** Sequence numbers whose publish() returned 'dropped'. */
  refused: number[];
  /** publish() calls that returned a promise (the caller held back), and the time spent waiting on them. */
  blocked: number;
  blockedMs: number;
  /** The last sequence number whose publish() dropped records (drop_oldest evicts older ones for it). */
  lastDropping: number;
}

const record = (seq: number) => ({
  key: Buffer.from(`k${seq % KEYS}`),
  value: Buffer.from(JSON.stringify({ seq })),
  headers: { seq: Buffer.from(String(seq)) },
});

function options(bus: StoppableBus, topic: string, buffer: PublisherOptions['buffer']): PublisherOptions {
  const small = buffer.kind === 'memory';
  return {
    stream: `outage-${buffer.kind === 'disk' ? 'disk' : buffer.whenFull}`,
    bus: { bootstrap: [bus.bootstrap], connectTimeoutMs: 1000, requestTimeoutMs: 3000 },
    topic,
    acks: -1,
    idempotent: false,
    lingerMs: 10,
    maxBatchBytes: small ? SMALL_BATCH : 16 << 10,
    breaker: OUTAGE_BREAKER,
    buffer,
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
  };
}

const total = (dropped: Record<string, number>): number => Object.values(dropped).reduce((a, b) => a + b, 0);

/**
 * Publishes at RATE/s on the wall clock until `until()` is true. A blocked publish holds the caller (that is
 * the backpressure); afterwards it goes on at RATE from where it was, without catching up on the wait.
 */
async function emit(p: Producer, until: () => boolean): Promise<void> {
  let since = performance.now();
  let base = p.published;
  while (!until()) {
    const due = base + Math.floor(((performance.now() - since) * RATE) / 1000);
    while (p.published < due) {
      const seq = p.published++;
      const droppedBefore = p.policy === 'drop_oldest' ? total(p.publisher.state.dropped) : 0;
      const result = p.publisher.publish(record(seq));
      if (p.policy === 'drop_oldest' && total(p.publisher.state.dropped) > droppedBefore)
        p.lastDropping = seq;
      if (result === 'dropped') p.refused.push(seq);
      else if (result instanceof Promise) {
        const waitFrom = performance.now();
        p.blocked++;
        await result;
        p.blockedMs += performance.now() - waitFrom;
        since = performance.now();
        base = p.published;
        break;
      }
    }
    await sleep(10);
  }
}

async function readBack(bus: StoppableBus, topic: string): Promise<{ seq: number; key: string }[]> {
  const client = await RawClient.connect(bus.port, '127.0.0.1');
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

function assertOrderPerKey(policy: Policy, got: { seq: number; key: string }[]): void {
  const last = new Map<string, number>();
  for (const { seq, key } of got) {
    assert.ok((last.get(key) ?? -1) < seq, `${policy}: key ${key}: ${seq} after ${last.get(key)}`);
    last.set(key, seq);
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

test(`a ${OUTAGE_S} s outage at ${RATE} events/s per producer, four buffer policies side by side`, async (t) => {
  const bus = await startStoppableBus(t);
  const dir = await tempDir('sluice-publisher-outage-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  const buffers: Record<Policy, PublisherOptions['buffer']> = {
    disk: { kind: 'disk', dir, maxBytes: 64 << 20, whenFull: 'block' },
    drop_newest: { kind: 'memory', maxBytes: SMALL_BUFFER, whenFull: 'drop_newest' },
    drop_oldest: { kind: 'memory', maxBytes: SMALL_BUFFER, whenFull: 'drop_oldest' },
    block: { kind: 'memory', maxBytes: SMALL_BUFFER, whenFull: 'block' },
  };
  const producers: Producer[] = [];
  for (const [policy, buffer] of Object.entries(buffers) as [Policy, PublisherOptions['buffer']][]) {
    const topic = uniqueTopic(`outage-${policy.replace('_', '-')}`);
    await bus.createTopic(topic, 1);
    const publisher = await Publisher.open(options(bus, topic, buffer));
    // Record 0 goes out before the clock starts: the client has found the bus by the time the rate is on.
    assert.equal(publisher.publish(record(0)), 'accepted');
    await publisher.flush(60_000);
    producers.push({
      policy,
      topic,
      publisher,
      published: 1,
      refused: [],
      blocked: 0,
      blockedMs: 0,
      lastDropping: -1,
    });
  }
  const [disk, dropNewest, dropOldest, block] = producers;

  // Sequence numbers each producer had reached when the bus was told to stop, was gone, and was told to
  // start again.
  const mark = (): Record<Policy, number> =>
    Object.fromEntries(producers.map((p) => [p.policy, p.published])) as Record<Policy, number>;
  let done = false;
  const emitting = Promise.all(producers.map((p) => emit(p, () => done)));
  await sleep(BEFORE_S * 1000);
  const atStop = mark();
  await bus.stop(SIGNAL);
  const stoppedAt = performance.now();
  const atStopped = mark();
  await waitFor(() => producers.every((p) => p.publisher.state.breaker === 'open'), {
    what: 'every breaker to open',
  });
  await sleep(Math.max(0, OUTAGE_S * 1000 - (performance.now() - stoppedAt))); // the outage itself
  const atRestart = mark();
  await bus.start();
  await sleep(AFTER_S * 1000);
  done = true;
  await emitting;
  for (const p of producers) {
    await p.publisher.flush(120_000);
    await p.publisher.close(10_000);
  }

  const got = new Map<Policy, { seq: number; key: string }[]>();
  for (const p of producers) {
    const records = await readBack(bus, p.topic);
    const seqs = records.map((r) => r.seq);
    assert.equal(new Set(seqs).size, seqs.length, `${p.policy}: no duplicates`);
    assertOrderPerKey(p.policy, records);
    got.set(p.policy, records);
    const missing = p.published - records.length;
    t.diagnostic(
      `${p.policy}: ${p.published} published, ${records.length} arrived, ${missing} missing, ` +
        `dropped ${JSON.stringify(p.publisher.state.dropped)}, ${p.blocked} blocked publishes ` +
        `(${Math.round(p.blockedMs)} ms held)`,
    );
  }
  const missingOf = (p: Producer): number[] => {
    const seen = new Set(got.get(p.policy)!.map((r) => r.seq));
    return range(0, p.published).filter((seq) => !seen.has(seq));
  };
  const arrived = (p: Producer, seq: number): boolean => got.get(p.policy)!.some((r) => r.seq === seq);

  // A disk buffer large enough: everything, exactly once, nothing held back.
  assert.deepEqual(disk.publisher.state.dropped, {});
  assert.equal(disk.blocked, 0);
  assert.deepEqual(
    got.get('disk')!.map((r) => r.seq),
    range(0, disk.published),
  );

  // drop_newest keeps the oldest: what is missing is exactly what publish() refused and the counter
  // counted. Once the bus is gone nothing frees room: the records accepted after it went, up to the first
  // refusal, all arrived, and nothing published from that refusal until the restart did.
  const newestMissing = missingOf(dropNewest);
  assert.ok(newestMissing.length > 0, 'drop_newest: the small buffer overflowed');
  assert.deepEqual(newestMissing, dropNewest.refused);
  assert.equal(newestMissing.length, total(dropNewest.publisher.state.dropped));
  assert.deepEqual(Object.keys(dropNewest.publisher.state.dropped), ['drop_newest']);
  const firstRefused = dropNewest.refused.find((seq) => seq >= atStopped.drop_newest)!;
  assert.ok(firstRefused < atRestart.drop_newest, 'drop_newest: refusals during the outage');
  assert.ok(
    range(atStopped.drop_newest, firstRefused).every((seq) => arrived(dropNewest, seq)),
    'drop_newest: the oldest records of the outage were kept',
  );
  assert.deepEqual(
    got
      .get('drop_newest')!
      .map((r) => r.seq)
      .filter((seq) => seq >= firstRefused && seq < atRestart.drop_newest),
    [],
    'drop_newest: nothing published after the buffer filled up during the outage was kept',
  );

  // drop_oldest keeps the newest: the missing records equal the counter; the newest records when the last
  // eviction happened all arrived, and one from the middle of the outage did not. (Eviction is not strictly
  // oldest-first around the bus's return: batches in flight are not evicted and a failed send puts its
  // batches back, so the count of outage records kept although older than an evicted one is only printed.)
  const oldestMissing = missingOf(dropOldest);
  assert.ok(oldestMissing.length > 0, 'drop_oldest: the small buffer overflowed');
  assert.equal(oldestMissing.length, total(dropOldest.publisher.state.dropped));
  const perBatch = Math.ceil(SMALL_BATCH / recordBytes(record(atStop.drop_oldest)));
  const lastDropping = dropOldest.lastDropping;
  assert.ok(lastDropping >= atStopped.drop_oldest, 'drop_oldest: evictions during the outage');
  assert.ok(
    range(lastDropping - perBatch, dropOldest.published).every((seq) => arrived(dropOldest, seq)),
    `drop_oldest: the newest records when the last eviction happened (${lastDropping}) were kept`,
  );
  const middle = Math.floor((atStopped.drop_oldest + atRestart.drop_oldest) / 2);
  assert.ok(
    !arrived(dropOldest, middle),
    `drop_oldest: ${middle}, from the middle of the outage, was evicted`,
  );
  const lastEvicted = oldestMissing[oldestMissing.length - 1];
  const keptOlder = got
    .get('drop_oldest')!
    .filter((r) => r.seq >= atStopped.drop_oldest && r.seq < lastEvicted).length;
  t.diagnostic(`drop_oldest: ${keptOlder} records of the outage kept although older than an evicted one`);

  // block: the caller was held back, nothing was dropped, everything it published arrived.
  assert.ok(block.blocked > 0, 'block: publish() returned a promise while the buffer was full');
  assert.deepEqual(block.publisher.state.dropped, {});
  assert.deepEqual(block.refused, []);
  assert.deepEqual(
    got.get('block')!.map((r) => r.seq),
    range(0, block.published),
  );
  assert.ok(block.published < disk.published, 'block: the held-back caller published less than the others');
});
