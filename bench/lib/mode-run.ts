// One durability mode of the benchmark, against its own broker child: produce throughput, then a preload and
// consume catch-up, with the broker's memory sampled throughout and its own counters read around each phase.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { countersDelta, readBrokerCounters, type BrokerCounters } from './broker-metrics.ts';
import { startBrokerChild, repoRoot } from './broker-child.ts';
import { hotFunctions, newestProfile, type HotFunction } from './cpu-profile.ts';
import { runConsumeCatchup, type ConsumeCatchupResult } from './consume-catchup.ts';
import { runStreamConsume } from './consume-stream.ts';
import type { BenchOptions } from './options.ts';
import { ACKS_ALL, runProduceLoad, type ProduceLoadResult } from './produce-load.ts';
import { machineLoadSince, readMachine, type MachineLoad } from './machine-load.ts';
import { RssSampler, type RssPoint } from './rss-sampler.ts';

export interface PhaseBroker {
  counters: BrokerCounters;
  peakRssBytes: number;
  /** CPU seconds of the benchmark process itself (the clients) during the phase. */
  clientCpuSeconds: number;
  /** How busy the rest of the machine was during the phase. */
  machine: MachineLoad;
}

export interface ModeResult {
  mode: string;
  produce: ProduceLoadResult & { broker: PhaseBroker };
  preload?: ProduceLoadResult & { broker: PhaseBroker };
  consume?: ConsumeCatchupResult & { broker: PhaseBroker };
  /** Highest sampled VmRSS of the broker, and its VmHWM, over the whole mode. */
  peakRssBytes: number;
  hwmBytes: number;
  rssSamples: number;
  rssTrace: readonly RssPoint[];
  hotFunctions?: HotFunction[];
}

const PRODUCE_TOPIC = 'bench-produce';
const CATCHUP_TOPIC = 'bench-catchup';

export async function runMode(mode: string, options: BenchOptions, root: string): Promise<ModeResult> {
  const dataDir = join(root, `data-${mode.replace(':', '-')}`);
  const label = mode.replace(':', '-');
  const profileDir = options.cpuProf ? join(options.cpuProf, label) : undefined;
  if (profileDir) await mkdir(profileDir, { recursive: true });
  const broker = await startBrokerChild({
    dataDir,
    durability: mode,
    partitions: 1,
    cpuProfileDir: profileDir,
    label,
  });
  const sampler = new RssSampler(broker.pid);
  let stopped = false;
  try {
    await createTopics(broker.bootstrap, options);

    // Measures one phase: its peak RSS, the broker's counters and the clients' CPU across it.
    const phase = async <T>(name: string, work: () => Promise<T>): Promise<T & { broker: PhaseBroker }> => {
      sampler.phase(name);
      const before = await readBrokerCounters(broker.adminPort);
      const cpuBefore = process.cpuUsage();
      const machineBefore = readMachine();
      const result = await work();
      const cpu = process.cpuUsage(cpuBefore);
      const after = await readBrokerCounters(broker.adminPort);
      const clientCpuSeconds = (cpu.user + cpu.system) / 1e6;
      const machine = machineLoadSince(
        machineBefore,
        clientCpuSeconds + after.cpuSeconds - before.cpuSeconds,
      );
      sampler.sample();
      return {
        ...result,
        broker: {
          counters: countersDelta(before, after),
          peakRssBytes: sampler.peakOf(name),
          clientCpuSeconds,
          machine,
        },
      };
    };
    const produceLoad = {
      bootstrap: broker.bootstrap,
      producers: options.producers,
      window: options.window,
      recordBytes: options.recordBytes,
      acks: ACKS_ALL,
    };

    const produce = await phase('produce', () =>
      runProduceLoad({
        ...produceLoad,
        topic: PRODUCE_TOPIC,
        partitions: options.partitions,
        recordsPerSend: options.recordsPerSend,
        warmupMs: options.warmupSeconds * 1000,
        durationMs: options.produceSeconds * 1000,
        maxRecords: Infinity,
        label: `${label}-produce`,
      }),
    );
    let preload: ModeResult['preload'];
    let consume: ModeResult['consume'];
    if (options.consumeRecords > 0) {
      preload = await phase('preload', () =>
        runProduceLoad({
          ...produceLoad,
          topic: CATCHUP_TOPIC,
          partitions: options.consumePartitions,
          recordsPerSend: options.preloadRecordsPerSend,
          warmupMs: 0,
          durationMs: Infinity,
          maxRecords: options.consumeRecords,
          label: `${label}-preload`,
        }),
      );
      const consumeWith = options.consumer === 'stream' ? runStreamConsume : runConsumeCatchup;
      consume = await phase('consume', () =>
        consumeWith({
          bootstrap: broker.bootstrap,
          topic: CATCHUP_TOPIC,
          expectedRecords: options.consumeRecords,
          partitionMaxBytes: options.partitionMaxBytes,
          fetchMaxBytes: options.fetchMaxBytes,
          label,
        }),
      );
    }
    sampler.stop();
    const { rss, hwm } = sampler.peak;
    const exitCode = await broker.stop();
    stopped = true;
    if (exitCode !== 0) throw new Error(`broker (${mode}) exited with code ${exitCode}`);
    const profile = profileDir ? await newestProfile(profileDir) : undefined;
    return {
      mode,
      produce,
      preload,
      consume,
      peakRssBytes: rss,
      hwmBytes: hwm,
      rssSamples: sampler.samples,
      rssTrace: sampler.trace,
      hotFunctions: profile ? await hotFunctions(profile, repoRoot) : undefined,
    };
  } finally {
    sampler.stop();
    if (!stopped) await broker.stop();
    if (!options.keepData) await rm(dataDir, { recursive: true, force: true });
  }
}

async function createTopics(bootstrap: string, options: BenchOptions): Promise<void> {
  const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: [bootstrap], retries: 0 });
  try {
    await admin.createTopics({ topics: [PRODUCE_TOPIC], partitions: options.partitions, replicas: 1 });
    if (options.consumeRecords > 0) {
      await admin.createTopics({
        topics: [CATCHUP_TOPIC],
        partitions: options.consumePartitions,
        replicas: 1,
      });
    }
  } finally {
    await admin.close();
  }
}
