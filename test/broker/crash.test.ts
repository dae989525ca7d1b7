// Issue 3's crash test: a `sluice broker` child process in fsync mode is SIGKILLed while kafkajs producers
// send with acks=all, then restarted on the same data directory; every acknowledged record must be there,
// at the offset it was acknowledged with, offsets contiguous, nothing duplicated, nothing corrupt. Each
// restarted broker is the next round's victim, so recovery also runs over the debris of earlier kills.
//
//   SLUICE_CRASH_ITERATIONS  rounds (default 20, what npm test runs; 100 for the slower variant:
//                            SLUICE_CRASH_ITERATIONS=100 npm exec -- node --test test/broker/crash.test.ts)
//   SLUICE_CRASH_SEED        replays a failed run: its seed is in the failure message
//
// The kill point is a condition (a random number of acks), never a sleep. A SIGKILL loses no page cache,
// so what this proves is the broker's side: it acknowledges only what it wrote, assigns offsets that
// recovery reproduces, and recovers whatever a kill mid-write leaves. Power loss (unsynced bytes gone,
// torn tails) is the fault-fs tests' part: crash-faults.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { Kafka, logLevel } from 'kafkajs';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.ts';
import { tempDir } from '../helpers/broker.ts';
import { prng, seedFrom } from '../helpers/prng.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { fetchAll } from '../helpers/records-io.ts';
import { runProducersUntilKill, type Ack } from './crash-producers.ts';

const ITERATIONS = Number(process.env.SLUICE_CRASH_ITERATIONS ?? 20);
const SEED = seedFrom('SLUICE_CRASH_SEED');
const TOPIC = 'crash';
const PARTITIONS = 3;

async function createTopic(port: number): Promise<void> {
  const admin = new Kafka({
    clientId: 'crash-admin',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] }), true);
  } finally {
    await admin.disconnect();
  }
}

/** Reads every partition through the restarted broker and checks it against everything acknowledged. */
async function verify(port: number, acked: readonly Ack[], sent: ReadonlySet<string>): Promise<number> {
  const client = await RawClient.connect(port);
  try {
    const seen = new Set<string>();
    let total = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const { records, highWatermark, logStartOffset } = await fetchAll(client, TOPIC, p);
      assert.equal(logStartOffset, 0n, `partition ${p}: log start offset`);
      assert.equal(BigInt(records.length), highWatermark, `partition ${p}: records up to the high watermark`);
      records.forEach((r, i) => {
        assert.equal(r.offset, BigInt(i), `partition ${p}: offsets contiguous from 0`);
        const value = r.value?.toString() ?? '<null>';
        assert.ok(sent.has(value), `partition ${p} offset ${r.offset}: a value nobody sent: ${value}`);
        assert.ok(!seen.has(value), `partition ${p} offset ${r.offset}: ${value} stored twice`);
        seen.add(value);
      });
      for (const ack of acked.filter((a) => a.partition === p)) {
        const stored = records[Number(ack.offset)];
        assert.ok(stored, `partition ${p}: acknowledged offset ${ack.offset} lost (hwm ${highWatermark})`);
        assert.equal(stored.value?.toString(), ack.value, `partition ${p} offset ${ack.offset}`);
      }
      total += records.length;
    }
    return total;
  } finally {
    client.close();
  }
}

test(`SIGKILL during acks=all produce, ${ITERATIONS} times: every acknowledged record survives at its offset`, async (t) => {
  const rng = prng(SEED);
  const dataDir = await tempDir('sluice-crash-');
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const context = (round: number): string => `seed ${SEED} (SLUICE_CRASH_SEED), round ${round}`;

  let broker: BrokerProcess = await startBrokerProcess(t, { dataDir });
  await createTopic(broker.port);
  const acked: Ack[] = [];
  const sent = new Set<string>();
  const timings: number[] = [];
  for (let round = 0; round < ITERATIONS; round++) {
    const started = Date.now();
    const victim = broker;
    const run = await runProducersUntilKill({
      port: victim.port,
      topic: TOPIC,
      partitions: PARTITIONS,
      producers: 3,
      loopsPerProducer: 2,
      tag: `r${round}`,
      rng,
      killAfterAcks: rng.int(1, 300),
      kill: () => victim.child.kill('SIGKILL'),
    });
    assert.deepEqual(run.failuresBeforeKill, [], context(round));
    const exit = await victim.kill('SIGKILL');
    assert.equal(exit.signal, 'SIGKILL', `${context(round)}: the broker died of something else`);
    acked.push(...run.acks);
    for (const v of run.sent) sent.add(v);

    broker = await startBrokerProcess(t, { dataDir });
    try {
      await verify(broker.port, acked, sent);
    } catch (err) {
      (err as Error).message += `\n${context(round)}\nrestarted broker stderr:\n${broker.stderr()}`;
      throw err;
    }
    timings.push(Date.now() - started);
  }
  const total = await verify(broker.port, acked, sent);
  assert.deepEqual(await broker.stop(), { code: 0, signal: null });
  t.diagnostic(
    `seed ${SEED}: ${ITERATIONS} kills, ${acked.length} acknowledged of ${sent.size} sent, ${total} stored; ` +
      `round ms min ${Math.min(...timings)} median ${timings.sort((a, b) => a - b)[timings.length >> 1]} ` +
      `max ${Math.max(...timings)}`,
  );
});
