// The embedded broker side by side with Apache Kafka (1 node, scripts/kafka/) in one run, with the same
// client (@platformatic/kafka, bench/lib's produce load and consume catch-up) and the same record sizes, in
// both durability pairings: page cache (embedded `none` vs Kafka's default, no flush) and a flush per write
// (embedded `fsync`, group commit, vs Kafka `flush.messages=1`). Also startup to the first served Metadata
// (a restart on existing data: Kafka must format a fresh node first, the embedded broker need not) and
// resident memory when idle. Prints each figure, the embedded/Kafka ratio and the target.
//
//   npm run build && npm exec -- node bench/versus-kafka.ts [--produce-seconds 20] [--consume-records N]
//      [--producers 8] [--records-per-send 16] [--record-bytes 1024] [--json bench/results/x.json]
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inspect, parseArgs } from 'node:util';
import { Admin } from '@platformatic/kafka';
import { startKafkaCluster } from '../scripts/kafka/cluster.ts';
import type { KafkaSettings } from '../scripts/kafka/config.ts';
import { partitionsLed, requestMetadata } from '../scripts/kafka/request.ts';
import { brokerChildFlags, describeNodeFlags, repoRoot, startBrokerChild } from './lib/broker-child.ts';
import { hotFunctions, newestProfile } from './lib/cpu-profile.ts';
import { runConsumeCatchup } from './lib/consume-catchup.ts';
import { ACKS_ALL, runProduceLoad } from './lib/produce-load.ts';
import { readMemory } from './lib/rss-sampler.ts';
import { renderComparison, type Figures } from './lib/versus-report.ts';

/** Idle means: served its first request, then left alone this long (JIT, GC and caches settle). */
const IDLE_SETTLE_MS = 5000;

interface Options {
  producers: number;
  recordsPerSend: number;
  recordBytes: number;
  warmupSeconds: number;
  produceSeconds: number;
  consumeRecords: number;
  json: string | undefined;
  /** Where the embedded broker's V8 CPU profiles go (their top self-time functions are printed). */
  cpuProf: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      producers: { type: 'string', default: '8' },
      'records-per-send': { type: 'string', default: '16' },
      'record-bytes': { type: 'string', default: '1024' },
      'warmup-seconds': { type: 'string', default: '2' },
      'produce-seconds': { type: 'string', default: '20' },
      'consume-records': { type: 'string', default: '1000000' },
      json: { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
  });
  const whole = (flag: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${flag} must be a whole number ≥ ${min}, got "${text}"`);
    return n;
  };
  return {
    producers: whole('producers', values.producers, 1),
    recordsPerSend: whole('records-per-send', values['records-per-send'], 1),
    recordBytes: whole('record-bytes', values['record-bytes'], 1),
    warmupSeconds: whole('warmup-seconds', values['warmup-seconds'], 0),
    produceSeconds: whole('produce-seconds', values['produce-seconds'], 1),
    consumeRecords: whole('consume-records', values['consume-records'], 1),
    json: values.json,
    cpuProf: values['cpu-prof'],
  };
}

/** A broker to measure: started, restarted (timed), then measured by the same client code. */
interface Subject {
  bootstrap: string;
  pid: number;
  /** Stops cleanly and starts again on the same data; resolves with ms from spawn to served Metadata. */
  restartTimed(): Promise<number>;
  stop(): Promise<void>;
}

async function servedMetadata(bootstrap: string): Promise<void> {
  const [host, port] = bootstrap.split(':');
  for (;;) {
    try {
      await requestMetadata(host, Number(port), [], 2000);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

async function embedded(durability: string, dataDir: string, cpuProfileDir?: string): Promise<Subject> {
  const start = () =>
    startBrokerChild({ dataDir, durability, partitions: 1, label: `embedded-${durability}`, cpuProfileDir });
  let child = await start();
  return {
    get bootstrap() {
      return child.bootstrap;
    },
    get pid() {
      return child.pid;
    },
    async restartTimed() {
      await child.stop();
      const t0 = performance.now();
      child = await start();
      await servedMetadata(child.bootstrap);
      return performance.now() - t0;
    },
    async stop() {
      await child.stop();
    },
  };
}

async function kafka(flushPerWrite: boolean): Promise<Subject> {
  const config: KafkaSettings = flushPerWrite ? { 'log.flush.interval.messages': 1 } : {};
  const cluster = await startKafkaCluster({ brokers: 1, config });
  const node = cluster.brokers[0];
  return {
    bootstrap: cluster.bootstrap,
    get pid() {
      return node.pid!;
    },
    async restartTimed() {
      await cluster.kill(1, 'SIGTERM');
      const t0 = performance.now();
      await cluster.restart(1);
      return performance.now() - t0;
    },
    stop: () => cluster.stop(),
  };
}

async function measure(subject: Subject, options: Options, label: string): Promise<Figures> {
  const startupMs = await subject.restartTimed();
  await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
  const idleRssBytes = readMemory(subject.pid)?.rss ?? Number.NaN;
  const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: [subject.bootstrap], retries: 3 });
  try {
    await admin.createTopics({ topics: ['versus-produce', 'versus-catchup'], partitions: 1, replicas: 1 });
  } finally {
    await admin.close();
  }
  // Kafka's broker takes up a new partition's leadership a moment after CreateTopics is answered, and the
  // load's clients do not retry.
  const [host, port] = subject.bootstrap.split(':');
  while (!(await partitionsLed(host, Number(port), ['versus-produce', 'versus-catchup']))) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const load = {
    bootstrap: subject.bootstrap,
    partitions: 1,
    producers: options.producers,
    window: 1,
    recordBytes: options.recordBytes,
    acks: ACKS_ALL,
  };
  process.stderr.write(`${label}: produce…\n`);
  const produce = await runProduceLoad({
    ...load,
    topic: 'versus-produce',
    recordsPerSend: options.recordsPerSend,
    warmupMs: options.warmupSeconds * 1000,
    durationMs: options.produceSeconds * 1000,
    maxRecords: Infinity,
    label: `${label}-produce`,
  });
  process.stderr.write(`${label}: preload ${options.consumeRecords} records, then consume…\n`);
  await runProduceLoad({
    ...load,
    topic: 'versus-catchup',
    recordsPerSend: 64,
    warmupMs: 0,
    durationMs: Infinity,
    maxRecords: options.consumeRecords,
    label: `${label}-preload`,
  });
  const consume = await runConsumeCatchup({
    bootstrap: subject.bootstrap,
    topic: 'versus-catchup',
    expectedRecords: options.consumeRecords,
    partitionMaxBytes: 1024 * 1024,
    fetchMaxBytes: 50 * 1024 * 1024,
    label,
  });
  return {
    startupMs,
    idleRssBytes,
    produceRecordsPerSec: produce.recordsPerSec,
    produceP99Ms: produce.latency.p99Ms,
    consumeRecordsPerSec: consume.recordsPerSec,
  };
}

async function main(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const root = await mkdtemp(join(tmpdir(), 'sluice-versus-'));
  const pairings = [
    { name: 'page cache', embedded: 'none', kafka: 'default (no flush)', flushPerWrite: false },
    { name: 'flush per write', embedded: 'fsync', kafka: 'flush.messages=1', flushPerWrite: true },
  ];
  const results = [];
  const loadBefore = loadavg();
  try {
    for (const pairing of pairings) {
      const dataDir = join(root, pairing.embedded);
      await mkdir(dataDir);
      const profileDir = options.cpuProf ? join(options.cpuProf, pairing.embedded) : undefined;
      if (profileDir) await mkdir(profileDir, { recursive: true });
      const mine = await embedded(pairing.embedded, dataDir, profileDir);
      const embeddedFigures = await measure(mine, options, `embedded-${pairing.embedded}`).finally(() =>
        mine.stop(),
      );
      const theirs = await kafka(pairing.flushPerWrite);
      const kafkaFigures = await measure(
        theirs,
        options,
        `kafka-${pairing.flushPerWrite ? 'flush' : 'default'}`,
      ).finally(() => theirs.stop());
      const profile = profileDir ? await newestProfile(profileDir) : undefined;
      const hot = profile ? await hotFunctions(profile, repoRoot, 12) : undefined;
      results.push({ ...pairing, embeddedFigures, kafkaFigures, embeddedHotFunctions: hot });
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  const command = ['npm exec -- node bench/versus-kafka.ts', ...argv].join(' ');
  const settings =
    `${options.producers} producers, window 1, ${options.recordsPerSend} × ${options.recordBytes} B records ` +
    `per send, acks=all, produce ${options.produceSeconds} s after ${options.warmupSeconds} s warm-up; ` +
    `catch-up of ${options.consumeRecords} records (preloaded 64 per send); embedded broker node flags ` +
    describeNodeFlags(brokerChildFlags());
  process.stdout.write(renderComparison(command, settings, loadBefore, results));
  if (options.json) {
    await mkdir(dirname(options.json), { recursive: true });
    await writeFile(options.json, JSON.stringify({ command, options, loadBefore, results }, null, 2) + '\n');
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`versus-kafka failed: ${inspect(err, { depth: 6 })}\n`);
  process.exitCode = 1;
});
