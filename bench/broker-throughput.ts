// Broker benchmark: produce throughput and consume catch-up of the embedded broker, run as a child process,
// with @platformatic/kafka clients, in each durability mode side by side, plus the disk's own fsync latency
// measured in the same run. Prints a table with the command that produced it; `--json` keeps the figures.
// Run with `npm run bench -- [flags]` (which builds first); `--help` lists the flags.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { assertBuilt, repoRoot } from './lib/broker-child.ts';
import { measureDiskFsync } from './lib/disk-fsync.ts';
import { errorMessage } from './lib/errors.ts';
import { runMode, type ModeResult } from './lib/mode-run.ts';
import { machineLoadSince, readMachine } from './lib/machine-load.ts';
import { USAGE, parseBenchOptions, type BenchOptions } from './lib/options.ts';
import { describeEnvironment, evaluateTargets, renderReport } from './lib/report.ts';

const DISK_PROBE_MAX_MS = 20_000;
const DISK_PROBE_WRITE_BYTES = 4096;

function settingsLine(o: BenchOptions): string {
  return [
    `${o.producers} producers × window ${o.window}`,
    `${o.recordsPerSend} × ${o.recordBytes} B records per send`,
    'acks=all, compression none, idempotence off',
    `produce topic ${o.partitions} partition(s), warm-up ${o.warmupSeconds} s + ${o.produceSeconds} s`,
    `catch-up ${o.consumeRecords} records in ${o.consumePartitions} partition(s), preloaded ${o.preloadRecordsPerSend} per send, read by ${o.consumer === 'stream' ? 'Consumer.consume() in a consumer group' : 'group-less Consumer.fetch()'}`,
    `fetch maxBytes ${o.fetchMaxBytes}, partitionMaxBytes ${o.partitionMaxBytes}`,
  ].join('; ');
}

async function main(argv: string[]): Promise<void> {
  const options = parseBenchOptions(argv);
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  assertBuilt();
  const script = relative(process.cwd(), process.argv[1]) || process.argv[1];
  const command =
    process.env.npm_lifecycle_event === 'bench'
      ? ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ')
      : ['npm exec -- node', script, ...argv].join(' ');
  const env = describeEnvironment(command, repoRoot);
  await mkdir(options.dir, { recursive: true });
  const root = await mkdtemp(join(options.dir, 'sluice-bench-'));
  try {
    process.stderr.write(`measuring the disk's write+fdatasync latency in ${root}…\n`);
    const machineBefore = readMachine();
    const cpuBefore = process.cpuUsage();
    const disk = await measureDiskFsync({
      dir: root,
      samples: options.fsyncSamples,
      maxMs: DISK_PROBE_MAX_MS,
      writeBytes: DISK_PROBE_WRITE_BYTES,
    });
    const cpu = process.cpuUsage(cpuBefore);
    const diskLoad = machineLoadSince(machineBefore, (cpu.user + cpu.system) / 1e6);
    const results: ModeResult[] = [];
    for (const mode of options.modes) {
      process.stderr.write(`durability ${mode}: produce, preload and consume…\n`);
      results.push(await runMode(mode, options, root));
    }
    const targets = evaluateTargets(results, disk);
    process.stdout.write(renderReport(env, settingsLine(options), results, disk, diskLoad, targets));
    if (options.json) {
      await mkdir(dirname(options.json), { recursive: true });
      const json = { environment: env, settings: options, disk, diskLoad, results, targets };
      await writeFile(options.json, JSON.stringify(json, null, 2) + '\n');
      process.stderr.write(`wrote ${options.json}\n`);
    }
  } finally {
    if (!options.keepData) await rm(root, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`benchmark failed: ${errorMessage(err)}\n`);
  process.exitCode = 1;
});
