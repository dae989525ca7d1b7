// Failover on real Apache Kafka (3 nodes, KRaft): a topic with replication factor 3 and
// min.insync.replicas=2, an idempotent kafkajs producer with acks=all and a consumer group reading it.
// One broker (the leader of partition 0) is SIGKILLed in the middle of the run: producing and consuming
// must go on, every acknowledged record must be consumed at the offset it was acknowledged at, no record
// may appear twice, and the restarted broker must rejoin every partition's ISR.
//
// Runs with `npm run test:kafka` (SLUICE_TEST_TARGET=kafka); `npm test` skips it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { clusterMetadata, startKafkaCluster, waitForIsr } from '../helpers/kafka-cluster.ts';
import { waitFor } from '../helpers/wait-for.ts';

const PARTITIONS = 3;
const BATCH = 5;
/** How much must get through in each phase; enough records that the kill lands mid-stream. */
const BEFORE_KILL = 300;
const WHILE_DOWN = 300;
const AFTER_RESTART = 150;
const DEADLINE_MS = 180_000;

const onKafka = process.env.SLUICE_TEST_TARGET === 'kafka';

interface Acked {
  partition: number;
  offset: bigint;
  value: string;
}

test(
  'SIGKILL of a partition leader: produce and consume go on, no acknowledged record is lost or doubled, it rejoins the ISR',
  { skip: onKafka ? false : 'needs Apache Kafka: run `npm run test:kafka`', timeout: 15 * 60_000 },
  async (t) => {
    const started = performance.now();
    // Clean up last in, first out: the clients leave while the brokers are still there to answer them
    // (node:test runs `after` hooks first in, first out).
    const cleanups: (() => Promise<void>)[] = [];
    t.after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });
    const cluster = await startKafkaCluster({ brokers: 3 });
    cleanups.push(() => cluster.stop());
    const seconds = (from: number) => ((performance.now() - from) / 1000).toFixed(1);
    t.diagnostic(`3-node Kafka ${cluster.version} serving after ${seconds(started)} s`);

    // kafkajs's log, kept for the failure message only.
    const clientLog: string[] = [];
    const kafka = new Kafka({
      clientId: 'sluice-failover',
      brokers: cluster.bootstrap.split(','),
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => {
        clientLog.push(`${entry.namespace}: ${entry.log.message}`);
        if (clientLog.length > 200) clientLog.shift();
      },
      connectionTimeout: 3000,
      // Leadership moves only once the controller fences the dead broker (broker.session.timeout.ms,
      // 9 s): retry for far longer than that rather than give up on a send.
      retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 100 },
    });
    const topic = 'failover';
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: PARTITIONS,
          replicationFactor: 3,
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
      waitForLeaders: true,
    });
    await waitForIsr(cluster, topic, 3);
    const md = await clusterMetadata(cluster, [topic]);
    const victim = md.topics[0].partitions.find((p) => p.partitionIndex === 0)!.leaderId;

    // The consumer: every record it is handed, by partition and offset.
    const consumed = new Map<string, string>();
    const redelivered: string[] = [];
    const consumer = kafka.consumer({ groupId: 'failover-readers', maxWaitTimeInMs: 200 });
    await consumer.connect();
    cleanups.push(() => consumer.disconnect());
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const at = `${partition}:${message.offset}`;
        const value = message.value!.toString();
        const before = consumed.get(at);
        if (before !== undefined && before !== value) redelivered.push(`${at} was ${before}, now ${value}`);
        consumed.set(at, value);
        return Promise.resolve();
      },
    });

    // The producer: batches of BATCH records, round robin over the partitions, one request at a time.
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const acked: Acked[] = [];
    const failedSends: string[] = [];
    let sequence = 0;
    let producing = true;
    const producing$ = (async () => {
      while (producing) {
        const partition = (sequence / BATCH) % PARTITIONS;
        const values = Array.from({ length: BATCH }, () => `record-${sequence++}`);
        try {
          const [result] = await producer.send({
            topic,
            acks: -1,
            messages: values.map((value) => ({ partition, value })),
          });
          if (result.baseOffset === undefined) throw new Error(`no base offset in ${JSON.stringify(result)}`);
          const base = BigInt(result.baseOffset);
          values.forEach((value, i) => acked.push({ partition, offset: base + BigInt(i), value }));
        } catch (err) {
          // Not acknowledged: the records may or may not be in the log, but never twice.
          failedSends.push(`${values[0]}..: ${(err as Error).message}`);
        }
      }
    })();
    const isConsumed = (a: Acked) => consumed.get(`${a.partition}:${a.offset}`) === a.value;
    const progress = () =>
      `acked ${acked.length}, consumed ${consumed.size}, failed sends ${failedSends.length}` +
      `\nkafkajs:\n${clientLog.slice(-30).join('\n')}`;
    const until = (what: string, condition: () => boolean) =>
      waitFor(condition, { what: `${what} (${progress()})`, deadlineMs: DEADLINE_MS, everyMs: 50 });

    try {
      await until(
        'records through before the kill',
        () => acked.length >= BEFORE_KILL && consumed.size >= 50,
      );
      const killedAt = acked.length;
      const killed = performance.now();
      await cluster.kill(victim, 'SIGKILL');
      t.diagnostic(`SIGKILLed node ${victim} (leader of partition 0) after ${killedAt} acknowledged records`);

      await until('producing and consuming while a broker is down', () => {
        const since = acked.slice(killedAt);
        return since.length >= WHILE_DOWN && since.filter(isConsumed).length >= WHILE_DOWN / 2;
      });
      t.diagnostic(
        `${WHILE_DOWN} records acknowledged with node ${victim} down, ${seconds(killed)} s after the kill`,
      );
      assert.ok(!cluster.brokers.find((b) => b.nodeId === victim)!.running);

      const restarted = performance.now();
      await cluster.restart(victim);
      await waitForIsr(cluster, topic, 3);
      t.diagnostic(`node ${victim} restarted and back in every ISR after ${seconds(restarted)} s`);
      const restartedAt = acked.length;
      await until('records through after the restart', () => acked.length >= restartedAt + AFTER_RESTART);
    } finally {
      producing = false;
      await producing$;
    }
    await until('every acknowledged record consumed', () => acked.every(isConsumed));

    // Each acknowledged record is at the offset it was acknowledged at...
    for (const a of acked) assert.equal(consumed.get(`${a.partition}:${a.offset}`), a.value);
    assert.deepEqual(redelivered, [], 'an offset was delivered twice with different records');
    // ...and the log holds no record twice and no gap, whatever happened to the sends that failed.
    const offsetsOf = new Map<string, string>();
    for (const [at, value] of consumed) {
      assert.equal(offsetsOf.get(value), undefined, `${value} is at ${offsetsOf.get(value)} and at ${at}`);
      offsetsOf.set(value, at);
    }
    for (let p = 0; p < PARTITIONS; p++) {
      const offsets = [...consumed.keys()]
        .filter((k) => k.startsWith(`${p}:`))
        .map((k) => Number(k.slice(2)));
      assert.deepEqual(
        offsets.sort((a, b) => a - b),
        offsets.map((_, i) => i),
        `partition ${p}: the consumed offsets have a gap`,
      );
    }
    // The ISR is whole again, the restarted node in it.
    const after = await clusterMetadata(cluster, [topic]);
    for (const p of after.topics[0].partitions) assert.ok(p.isrNodes.includes(victim), JSON.stringify(p));
    t.diagnostic(
      `${acked.length} acknowledged, ${consumed.size} consumed, ${failedSends.length} failed sends, ` +
        `${seconds(started)} s in all`,
    );
  },
);
