// Command-line flags of the broker benchmark, with the defaults that keep a run under ~5 minutes on a 2-core
// machine. Every flag is echoed back in the report through the command line that produced it.
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';

export interface BenchOptions {
  modes: string[];
  producers: number;
  window: number;
  recordsPerSend: number;
  recordBytes: number;
  partitions: number;
  warmupSeconds: number;
  produceSeconds: number;
  consumeRecords: number;
  consumePartitions: number;
  consumer: 'stream' | 'fetch';
  preloadRecordsPerSend: number;
  partitionMaxBytes: number;
  fetchMaxBytes: number;
  fsyncSamples: number;
  dir: string;
  json: string | undefined;
  cpuProf: string | undefined;
  keepData: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [flags]   (or: npm run build && npm exec -- node bench/broker-throughput.ts [flags])

Produce throughput and consume catch-up of the embedded broker (a child process), with @platformatic/kafka,
in each durability mode, side by side; plus the disk's own write+fdatasync latency.

  --modes <list>                  durability modes, comma-separated (default fsync,none; also interval:<ms>)
  --producers <n>                 concurrent producer clients, one connection each (default 8)
  --window <n>                    send() calls in flight per producer (default 1)
  --records-per-send <n>          records in one send() call (default 16)
  --record-bytes <n>              value size of a record (default 1024)
  --partitions <n>                partitions of the produce topic; producer i writes to i mod n (default 1)
  --warmup-seconds <s>            produce warm-up not counted (default 2)
  --produce-seconds <s>           measured produce time per mode (default 20)
  --consume-records <n>           records preloaded, then consumed from the beginning; 0 skips (default 1000000)
  --consume-partitions <n>        partitions of the catch-up topic (default 1)
  --consumer <stream|fetch>       stream: Consumer.consume() in a fresh consumer group (default); fetch: the
                                  Consumer's group-less fetch() with offsets kept by the benchmark
  --preload-records-per-send <n>  records per send() while preloading (default 64)
  --partition-max-bytes <n>       fetch partitionMaxBytes (default 1048576)
  --fetch-max-bytes <n>           fetch maxBytes (default 52428800)
  --fsync-samples <n>             write+fdatasync rounds of the disk probe (default 2000, at most 20 s)
  --dir <dir>                     where the data directories go (default the OS temp dir)
  --json <file>                   also write the results as JSON (e.g. bench/results/<name>.json)
  --cpu-prof <dir>                write a V8 CPU profile of each broker child there and print its hot spots
  --keep-data                     do not delete the data directories
  --help
`;

export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      modes: { type: 'string', default: 'fsync,none' },
      producers: { type: 'string', default: '8' },
      window: { type: 'string', default: '1' },
      'records-per-send': { type: 'string', default: '16' },
      'record-bytes': { type: 'string', default: '1024' },
      partitions: { type: 'string', default: '1' },
      'warmup-seconds': { type: 'string', default: '2' },
      'produce-seconds': { type: 'string', default: '20' },
      'consume-records': { type: 'string', default: '1000000' },
      'consume-partitions': { type: 'string', default: '1' },
      consumer: { type: 'string', default: 'stream' },
      'preload-records-per-send': { type: 'string', default: '64' },
      'partition-max-bytes': { type: 'string', default: String(1024 * 1024) },
      'fetch-max-bytes': { type: 'string', default: String(50 * 1024 * 1024) },
      'fsync-samples': { type: 'string', default: '2000' },
      dir: { type: 'string', default: tmpdir() },
      json: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'keep-data': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const modes = values.modes.split(',').map((m) => m.trim());
  for (const mode of modes) {
    if (!/^(fsync|none|interval:[1-9][0-9]*)$/.test(mode)) throw new Error(`--modes: unknown mode "${mode}"`);
  }
  if (values.consumer !== 'stream' && values.consumer !== 'fetch') {
    throw new Error(`--consumer: expected "stream" or "fetch", got "${values.consumer}"`);
  }
  return {
    modes,
    consumer: values.consumer,
    producers: count(values.producers, 'producers', 1),
    window: count(values.window, 'window', 1),
    recordsPerSend: count(values['records-per-send'], 'records-per-send', 1),
    recordBytes: count(values['record-bytes'], 'record-bytes', 1),
    partitions: count(values.partitions, 'partitions', 1),
    warmupSeconds: seconds(values['warmup-seconds'], 'warmup-seconds'),
    produceSeconds: seconds(values['produce-seconds'], 'produce-seconds', true),
    consumeRecords: count(values['consume-records'], 'consume-records', 0),
    consumePartitions: count(values['consume-partitions'], 'consume-partitions', 1),
    preloadRecordsPerSend: count(values['preload-records-per-send'], 'preload-records-per-send', 1),
    partitionMaxBytes: count(values['partition-max-bytes'], 'partition-max-bytes', 1),
    fetchMaxBytes: count(values['fetch-max-bytes'], 'fetch-max-bytes', 1),
    fsyncSamples: count(values['fsync-samples'], 'fsync-samples', 1),
    dir: values.dir,
    json: values.json,
    cpuProf: values['cpu-prof'],
    keepData: values['keep-data'],
    help: values.help,
  };
}

function count(text: string, flag: string, min: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(`--${flag}: expected an integer ≥ ${min}, got "${text}"`);
  }
  return value;
}

function seconds(text: string, flag: string, positive = false): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new Error(`--${flag}: expected seconds ${positive ? '> 0' : '≥ 0'}, got "${text}"`);
  }
  return value;
}
