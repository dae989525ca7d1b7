// SDK benchmark (issue 6): small events per second end to end from one process into the embedded broker
// (run as a child process, so its CPU and memory are its own), with the SDK's batching, and this process's
// memory against the publisher's configured buffer. Three phases, each on its own topic:
//   emit     telemetry.events.emit() of ~100-byte payloads (createTelemetry's defaults, a big buffer)
//   publish  Publisher.publish() of ~100-byte values directly (same options)
//   bounded  Publisher.publish() again with a small buffer: does memory stay near buffer.maxBytes?
//   publish-headers  publish() again, each record with the 4 headers emit() sends (content-type,
//            sluice-producer, sluice-stream, sluice-seq): the broker's cost of headers without emit's caller
//   platformatic  reference in the same run: @platformatic/kafka's own Producer (idempotent, acks -1)
//            sending the same records as publish, 2000 per send(), one send at a time
// Each calls as fast as the API returns for --seconds, then flushes; delivery is checked by the topic's
// high watermark (records, not batches). whenFull is 'block', so nothing is dropped and accepted/s is
// what the bus sustains plus what the buffer absorbed.
//
//   npm run bench:sdk   (node --expose-gc, so the heap a full buffer retains is measured after a full GC)
//   npm run bench:sdk -- [--seconds 10] [--partitions 1] [--durability none] [--buffer-mib 256]
//                        [--bounded-mib 8] [--phases emit,publish,bounded]
//                        [--broker-cpu-prof DIR]   V8 CPU profile of the broker child (written when it stops,
//                                                   over all phases) into DIR, and its hot functions printed
//                        [--broker-node-flags '--trace-gc']   more node/V8 flags for the broker child (beside
//                                 the ones `sluice broker` runs with; SLUICE_BROKER_NODE_FLAGS= runs it without)
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BROKER_NODE_FLAGS_ENV } from '../src/broker/node-flags.ts';
import { Admin, Producer } from '@platformatic/kafka';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Publisher } from '../src/sdk/publisher/publisher.ts';
import type { PublisherOptions } from '../src/sdk/publisher/options.ts';
import { recordBytes } from '../src/sdk/publisher/store.ts';
import { resolveStreamOptions } from '../src/sdk/telemetry/create.ts';
import { openTelemetry } from '../src/sdk/telemetry/telemetry.ts';
import { describeNodeFlags, repoRoot, startBrokerChild } from './lib/broker-child.ts';
import { hotFunctions, newestProfile } from './lib/cpu-profile.ts';
import { countersDelta, readBrokerCounters } from './lib/broker-metrics.ts';
import { errorMessage } from './lib/errors.ts';
import { MemorySampler, driveLoad, memoryNow, type LoadResult, type MemoryPeaks } from './lib/sdk-load.ts';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    partitions: { type: 'string', default: '1' },
    durability: { type: 'string', default: 'none' },
    'buffer-mib': { type: 'string', default: '256' },
    'bounded-mib': { type: 'string', default: '8' },
    phases: { type: 'string', default: 'emit,publish,bounded,platformatic' },
    'broker-cpu-prof': { type: 'string' },
    'broker-node-flags': { type: 'string', default: '' },
  },
});
const seconds = Number(flags.seconds);
const partitions = Number(flags.partitions);
const bufferMiB = Number(flags['buffer-mib']);
const boundedMiB = Number(flags['bounded-mib']);
const phases = flags.phases.split(',').map((p) => p.trim());
const extraBrokerFlags = flags['broker-node-flags'].split(' ').filter((f) => f !== '');
for (const f of extraBrokerFlags)
  if (!f.startsWith('--')) throw new Error(`--broker-node-flags: ${f} is not a flag`);
if (!(seconds > 0)) throw new Error('--seconds must be a positive number');
if (!Number.isInteger(partitions) || partitions < 1) throw new Error('--partitions must be an integer >= 1');
if (!(bufferMiB > 0) || !(boundedMiB > 0)) throw new Error('--buffer-mib and --bounded-mib must be positive');
for (const p of phases)
  if (!['emit', 'publish', 'publish-headers', 'bounded', 'platformatic'].includes(p))
    throw new Error(`unknown phase ${p}`);

const MiB = 1024 * 1024;
const FLUSH_TIMEOUT_MS = 120_000;
const logger = pino({ level: 'warn' }, pino.destination(2));

interface PhaseResult {
  phase: string;
  load: LoadResult;
  recordBytes: number;
  delivered: number;
  /** From the first call until flush resolved. */
  endToEndSeconds: number;
  flushSeconds: number;
  droppedByPublisher: Record<string, number>;
  bufferMaxBytes: number;
  baseline: ReturnType<typeof memoryNow>;
  peaks: MemoryPeaks;
  /** Heap still in use right after the load, after a full GC (needs --expose-gc): what the buffer retains. */
  retainedHeapBytes: number | undefined;
  /** CPU seconds over the phase: this (publisher) process, and the broker child. */
  publisherCpuSeconds: number;
  brokerCpuSeconds: number;
  /** Produce requests the broker answered over the phase (its Prometheus counter). */
  produceRequests: number;
}

/** utime + stime of a process, in seconds (Linux /proc; 0 elsewhere). */
function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Heap in use after a full collection, or undefined without --expose-gc. */
function retainedHeap(): number | undefined {
  if (gc === undefined) return undefined;
  gc();
  return process.memoryUsage().heapUsed;
}

function payload(i: number): { orderId: string; sku: string; qty: number; total: number; region: string } {
  return { orderId: `o-${i}`, sku: `SKU-${i % 977}`, qty: (i % 5) + 1, total: 42.5, region: 'eu-west-1' };
}

const contentType = Buffer.from('application/vnd.sluice.v1+json');
const producerHeader = Buffer.from('bench-3f1c9a2e-6b7d-4e21-9c0a-5d8f7e6b1a23');
const streamHeader = Buffer.from('events');

/** The headers emit() puts on every record, with a sequence number that changes per record. */
function emitLikeHeaders(i: number): Record<string, Buffer> {
  return {
    'content-type': contentType,
    'sluice-producer': producerHeader,
    'sluice-stream': streamHeader,
    'sluice-seq': Buffer.from(String(i)),
  };
}

async function highWatermark(admin: Admin, topic: string): Promise<number> {
  const listed = await admin.listOffsets({
    topics: [
      {
        name: topic,
        partitions: [...Array(partitions).keys()].map((i) => ({ partitionIndex: i, timestamp: -1n })),
      },
    ],
  });
  return listed[0].partitions.reduce((sum, p) => sum + Number(p.offset), 0);
}

/** The reference: the client library's producer alone, same records, sequential sends of 2000. */
async function referenceLoad(bootstrap: string, topic: string, keys: Buffer[], value: Buffer) {
  const producer = new Producer({
    clientId: 'bench-reference',
    bootstrapBrokers: [bootstrap],
    idempotent: true,
    acks: -1,
  });
  const PER_SEND = 2000;
  let calls = 0;
  let inCalls = 0n;
  const start = performance.now();
  try {
    while (performance.now() < start + seconds * 1000) {
      const messages = [];
      for (let i = 0; i < PER_SEND; i++) messages.push({ topic, key: keys[(calls + i) & 1023], value });
      const t0 = process.hrtime.bigint();
      await producer.send({ messages });
      inCalls += process.hrtime.bigint() - t0;
      calls += PER_SEND;
    }
  } finally {
    await producer.close();
  }
  const elapsed = (performance.now() - start) / 1000;
  return {
    calls,
    accepted: calls,
    dropped: 0,
    blocked: 0,
    seconds: elapsed,
    nsPerCall: Number(inCalls) / calls,
  };
}

async function runPhase(
  phase: string,
  bootstrap: string,
  broker: { pid: number; adminPort: number },
  admin: Admin,
): Promise<PhaseResult> {
  const brokerPid = broker.pid;
  const topic = `bench-sdk-${phase}`;
  await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  const maxBytes = (phase === 'bounded' ? boundedMiB : bufferMiB) * MiB;
  const stream = phase === 'emit' ? 'events' : phase.replace('-', '_');
  // Exactly what createTelemetry would resolve for this stream (its defaults), with the buffer set here.
  const options: PublisherOptions = resolveStreamOptions(
    {
      service: 'bench',
      bus: { bootstrap: [bootstrap] },
      logger,
      metrics: new Registry(),
      streams: { [stream]: { topic, buffer: { kind: 'memory', maxBytes, whenFull: 'block' } } },
    },
    stream,
  );
  const publisher = await Publisher.open(options);
  let sampleSize = 0;
  let retainedHeapBytes: number | undefined;
  gc?.();
  const baseline = memoryNow();
  const sampler = new MemorySampler(() => publisher.state.bufferedBytes);
  const countersBefore = await readBrokerCounters(broker.adminPort);
  const brokerCpuBefore = processCpuSeconds(brokerPid);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  let load: LoadResult;
  let flushStart: number;
  if (phase === 'emit') {
    // createTelemetry's facade over this publisher; the wrapper only notes the first record's size.
    const telemetry = await openTelemetry({
      service: 'bench',
      streams: { events: options },
      openPublisher: () =>
        Promise.resolve({
          publish: (r) => {
            if (sampleSize === 0) sampleSize = recordBytes(r);
            return publisher.publish(r);
          },
          publishPrepared: (r) => {
            if (sampleSize === 0) sampleSize = recordBytes(r);
            return publisher.publish(r);
          },
          flush: (ms) => publisher.flush(ms),
          close: (ms) => publisher.close(ms),
          get state() {
            return publisher.state;
          },
        }),
    });
    const { events } = telemetry;
    load = await driveLoad(
      seconds,
      (i) => events.emit('order.placed', payload(i), { key: `o-${i & 1023}` }),
      () => events.drained(),
    );
    retainedHeapBytes = retainedHeap();
    flushStart = performance.now();
    const report = await telemetry.flush(FLUSH_TIMEOUT_MS);
    if (report.events?.status !== 'drained') throw new Error(`emit flush: ${JSON.stringify(report)}`);
  } else if (phase === 'platformatic') {
    const value = Buffer.from(JSON.stringify(payload(123456)));
    const keys = [...Array(1024).keys()].map((k) => Buffer.from(`o-${k}`));
    sampleSize = recordBytes({ key: keys[0], value, headers: {} });
    load = await referenceLoad(bootstrap, topic, keys, value);
    retainedHeapBytes = retainedHeap();
    flushStart = performance.now();
  } else {
    const value = Buffer.from(JSON.stringify(payload(123456)));
    const keys = [...Array(1024).keys()].map((k) => Buffer.from(`o-${k}`));
    const headers = phase === 'publish-headers' ? emitLikeHeaders : () => ({});
    sampleSize = recordBytes({ key: keys[0], value, headers: headers(0) });
    load = await driveLoad(
      seconds,
      (i) => publisher.publish({ key: keys[i & 1023], value, headers: headers(i) }),
      (blocked) => (blocked instanceof Promise ? blocked : Promise.resolve()),
    );
    retainedHeapBytes = retainedHeap();
    flushStart = performance.now();
    await publisher.flush(FLUSH_TIMEOUT_MS);
  }
  const end = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  const brokerCpuSeconds = processCpuSeconds(brokerPid) - brokerCpuBefore;
  const counters = countersDelta(countersBefore, await readBrokerCounters(broker.adminPort));
  const peaks = sampler.stop();
  const droppedByPublisher = publisher.state.dropped;
  await publisher.close(10_000);
  return {
    phase,
    load,
    recordBytes: sampleSize,
    delivered: await highWatermark(admin, topic),
    endToEndSeconds: (end - start) / 1000,
    flushSeconds: (end - flushStart) / 1000,
    droppedByPublisher,
    bufferMaxBytes: maxBytes,
    baseline,
    peaks,
    retainedHeapBytes,
    publisherCpuSeconds: (cpu.user + cpu.system) / 1e6,
    brokerCpuSeconds,
    produceRequests: counters.produceRequests,
  };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en');
const mib = (b: number): string => (b / MiB).toFixed(1);

function render(results: PhaseResult[], command: string, brokerFlags: readonly string[]): string {
  const rows = [
    [
      'phase',
      'B/rec',
      'calls',
      'accepted/s',
      'ns/call',
      'delivered',
      'delivered/s',
      'flush s',
      'dropped',
      'CPU s pub/broker',
      'delivered/CPU-s pub',
      'broker µs/rec',
      'rec/produce',
    ],
    ...results.map((r) => [
      r.phase,
      String(r.recordBytes),
      fmt(r.load.calls),
      fmt((r.load.accepted + r.load.blocked) / r.load.seconds),
      r.load.nsPerCall.toFixed(0),
      fmt(r.delivered),
      fmt(r.delivered / r.endToEndSeconds),
      r.flushSeconds.toFixed(2),
      String(r.load.dropped + Object.values(r.droppedByPublisher).reduce((a, b) => a + b, 0)),
      `${r.publisherCpuSeconds.toFixed(1)}/${r.brokerCpuSeconds.toFixed(2)}`,
      fmt(r.delivered / r.publisherCpuSeconds),
      ((r.brokerCpuSeconds * 1e6) / r.delivered).toFixed(2),
      fmt(r.delivered / r.produceRequests),
    ]),
  ];
  const mem = [
    [
      'phase',
      'buffer max MiB',
      'peak buffered MiB',
      'RSS base→peak MiB',
      'heap base→peak MiB',
      'external peak MiB',
      'heap after load+GC MiB',
    ],
    ...results.map((r) => [
      r.phase,
      mib(r.bufferMaxBytes),
      mib(r.peaks.bufferedBytes),
      `${mib(r.baseline.rssBytes)}→${mib(r.peaks.rssBytes)}`,
      `${mib(r.baseline.heapUsedBytes)}→${mib(r.peaks.heapUsedBytes)}`,
      mib(r.peaks.externalBytes),
      r.retainedHeapBytes === undefined ? 'n/a (no --expose-gc)' : mib(r.retainedHeapBytes),
    ]),
  ];
  const table = (t: string[][]): string => {
    const widths = t[0].map((_, c) => Math.max(...t.map((row) => row[c].length)));
    return t.map((row) => row.map((cell, c) => cell.padStart(widths[c])).join('  ')).join('\n') + '\n';
  };
  // Said per phase: the publisher's records (publish) and telemetry's events (emit: the same ~100-byte
  // payload wrapped in the v1 envelope and headers, ~440 bytes) are different claims.
  const rates = results
    .filter((r) => r.phase !== 'platformatic')
    .map((r) => {
      const rate = r.delivered / r.endToEndSeconds;
      return `${r.phase} ${fmt(rate)}/s ${rate >= 500_000 ? 'met' : 'NOT met'}`;
    });
  const lost = results.filter((r) => r.delivered !== r.load.accepted + r.load.blocked);
  return [
    `command: ${command}`,
    `node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    `broker child: durability ${flags.durability}, node flags ${describeNodeFlags(brokerFlags)}, topic ${partitions} partition(s); publisher: createTelemetry defaults (acks -1, idempotent, lingerMs 5, maxBatchBytes 512 KiB), memory buffer whenFull block; ${seconds} s per phase`,
    '',
    table(rows),
    table(mem),
    "peak buffered = the publisher's own count (recordBytes); RSS/heap peaks include garbage not yet collected",
    `delivered = the topic's high watermark after flush; delivered/s = delivered / (load + flush time)`,
    'delivered/CPU-s pub = delivered per CPU second of this process: the figure a busy machine moves least',
    "broker µs/rec = the broker child's CPU (user + system, all threads) per delivered record; rec/produce = records per Produce request",
    lost.length === 0
      ? 'every accepted record was delivered'
      : `MISMATCH accepted vs delivered in: ${lost.map((r) => r.phase).join(', ')}`,
    `memory bounded by the buffer: peak buffered <= buffer max in every phase: ${results.every((r) => r.peaks.bufferedBytes <= r.bufferMaxBytes) ? 'yes' : 'NO'}`,
    `>= 500k small events/s end to end, per phase: ${rates.join('; ')}`,
    '',
  ].join('\n');
}

/** The broker child's top self-time functions over the whole run (all phases, idle included). */
async function printBrokerProfile(dir: string): Promise<void> {
  const profile = await newestProfile(dir);
  if (profile === undefined) throw new Error(`no .cpuprofile written into ${dir}`);
  const lines = (await hotFunctions(profile, repoRoot, 25)).map(
    (f) => `${(f.share * 100).toFixed(1).padStart(5)} %  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}`,
  );
  process.stdout.write(`broker child profile ${profile} (self time):\n${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flagsEnv = process.env[BROKER_NODE_FLAGS_ENV];
  const command =
    (flagsEnv === undefined ? '' : `${BROKER_NODE_FLAGS_ENV}='${flagsEnv}' `) +
    (process.env.npm_lifecycle_event === 'bench:sdk'
      ? ['npm run bench:sdk', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ')
      : [`npm exec -- node${gc ? ' --expose-gc' : ''} bench/sdk-throughput.ts`, ...argv].join(' '));
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bench-sdk-'));
  const cpuProfileDir = flags['broker-cpu-prof'];
  const broker = await startBrokerChild({
    dataDir,
    durability: flags.durability,
    partitions,
    label: 'sdk',
    cpuProfileDir,
    nodeFlags: extraBrokerFlags,
  });
  const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: [broker.bootstrap], retries: 0 });
  try {
    const results: PhaseResult[] = [];
    for (const phase of phases) {
      process.stderr.write(`phase ${phase}: ${seconds} s…\n`);
      results.push(await runPhase(phase, broker.bootstrap, broker, admin));
    }
    process.stdout.write(render(results, command, broker.nodeFlags));
  } finally {
    await admin.close();
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  if (cpuProfileDir !== undefined) await printBrokerProfile(cpuProfileDir);
}

main().catch((err: unknown) => {
  process.stderr.write(`benchmark failed: ${errorMessage(err)}\n`);
  process.exitCode = 1;
});
