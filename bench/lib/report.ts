// Renders the benchmark's results: one column per durability mode, the disk's fsync latency, the issue's
// targets read off those figures, and the environment (command, Node, CPUs, date) that produced them.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { brokerChildFlags, describeNodeFlags } from './broker-child.ts';
import type { ModeResult } from './mode-run.ts';
import type { MachineLoad } from './machine-load.ts';
import { MB, type LatencySummary } from './stats.ts';

export interface Environment {
  command: string;
  date: string;
  node: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  commit: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAverage: number;
  /** The node flags the broker children run with (src/broker/node-flags.ts, SLUICE_BROKER_NODE_FLAGS). */
  brokerNodeFlags: string;
}

export interface Target {
  name: string;
  met: boolean | undefined;
  detail: string;
}

export function describeEnvironment(command: string, root: string): Environment {
  let commit = 'unknown';
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    commit = dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    // Not a git checkout: the commit stays unknown.
  }
  return {
    command,
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    kernel: release(),
    brokerNodeFlags: describeNodeFlags(brokerChildFlags()),
    commit,
    loadAverage: loadavg()[0],
  };
}

export function evaluateTargets(results: ModeResult[], disk: LatencySummary): Target[] {
  const peak = Math.max(...results.map((r) => Math.max(r.hwmBytes, r.peakRssBytes)));
  const fsync = results.find((r) => r.mode === 'fsync');
  const none = results.find((r) => r.mode === 'none');
  const targets: Target[] = [
    {
      name: 'broker peak RSS under 300 MB, whole run',
      met: peak < 300 * MB,
      detail: `${(peak / MB).toFixed(0)} MB (VmHWM, highest of the modes)`,
    },
  ];
  if (fsync && none) {
    const ratio = fsync.produce.recordsPerSec / none.produce.recordsPerSec;
    targets.push({
      name: 'fsync produce throughput ≥ half of none',
      met: ratio >= 0.5,
      detail: `fsync/none = ${ratio.toFixed(2)}`,
    });
  } else {
    targets.push({
      name: 'fsync produce throughput ≥ half of none',
      met: undefined,
      detail: 'needs both modes',
    });
  }
  if (fsync) {
    const ratio = fsync.produce.latency.p99Ms / disk.p99Ms;
    // The same p99 without fsync shows how much of it is the disk and how much is CPU and queueing.
    const excess = none
      ? `; without fsync p99 is ${fmt(none.produce.latency.p99Ms, 2)} ms, so fsync adds ` +
        `${fmt(fsync.produce.latency.p99Ms - none.produce.latency.p99Ms, 2)} ms = ` +
        `${((fsync.produce.latency.p99Ms - none.produce.latency.p99Ms) / disk.p99Ms).toFixed(1)}× the disk's p99`
      : '';
    targets.push({
      name: "fsync produce p99 within 2× the disk's fsync p99",
      met: ratio <= 2,
      detail:
        `${fmt(fsync.produce.latency.p99Ms, 2)} ms vs disk ${fmt(disk.p99Ms, 2)} ms = ${ratio.toFixed(1)}×` +
        excess,
    });
  }
  return targets;
}

type Row = [label: string, value: (r: ModeResult) => string];

const rows: Row[] = [
  ['produce: records', (r) => int(r.produce.records)],
  ['produce: duration s', (r) => fmt(r.produce.durationMs / 1000, 1)],
  ['produce: records/s', (r) => int(r.produce.recordsPerSec)],
  ['produce: MB/s', (r) => fmt(r.produce.bytesPerSec / MB, 1)],
  ['produce: send() calls', (r) => int(r.produce.sends)],
  ['produce: latency p50 ms', (r) => fmt(r.produce.latency.p50Ms, 2)],
  ['produce: latency p99 ms', (r) => fmt(r.produce.latency.p99Ms, 2)],
  ['produce: latency max ms', (r) => fmt(r.produce.latency.maxMs, 2)],
  ['produce: broker fsyncs', (r) => int(r.produce.broker.counters.fsyncs)],
  [
    'produce: records per fsync',
    (r) => (r.mode === 'fsync' ? perFsync(r.produce.recordsSent, r.produce.broker.counters.fsyncs) : '-'),
  ],
  ['produce: broker fsync mean ms', (r) => meanFsyncMs(r.produce.broker.counters)],
  ['produce: broker CPU s', (r) => fmt(r.produce.broker.counters.cpuSeconds, 1)],
  ['produce: clients CPU s', (r) => fmt(r.produce.broker.clientCpuSeconds, 1)],
  ["produce: others' CPU cores / IO stall %", (r) => othersLoad(r.produce.broker.machine)],
  ['produce: broker peak RSS MB', (r) => mb(r.produce.broker.peakRssBytes)],
  ['produce: broker heap / external MB at end', (r) => heapAndExternal(r.produce.broker.counters)],
  ['preload: records', (r) => (r.preload ? int(r.preload.records) : '-')],
  ['preload: records/s', (r) => (r.preload ? int(r.preload.recordsPerSec) : '-')],
  ['preload: broker peak RSS MB', (r) => (r.preload ? mb(r.preload.broker.peakRssBytes) : '-')],
  ['consume: records', (r) => (r.consume ? int(r.consume.records) : '-')],
  ['consume: duration s', (r) => (r.consume ? fmt(r.consume.durationMs / 1000, 1) : '-')],
  ['consume: records/s', (r) => (r.consume ? int(r.consume.recordsPerSec) : '-')],
  ['consume: MB/s', (r) => (r.consume ? fmt(r.consume.bytesPerSec / MB, 1) : '-')],
  ['consume: fetches', (r) => (r.consume ? int(r.consume.fetches) : '-')],
  ['consume: broker CPU s', (r) => (r.consume ? fmt(r.consume.broker.counters.cpuSeconds, 1) : '-')],
  ['consume: clients CPU s', (r) => (r.consume ? fmt(r.consume.broker.clientCpuSeconds, 1) : '-')],
  [
    "consume: others' CPU cores / IO stall %",
    (r) => (r.consume ? othersLoad(r.consume.broker.machine) : '-'),
  ],
  ['consume: broker peak RSS MB', (r) => (r.consume ? mb(r.consume.broker.peakRssBytes) : '-')],
  [
    'consume: broker heap / external MB at end',
    (r) => (r.consume ? heapAndExternal(r.consume.broker.counters) : '-'),
  ],
  ['broker peak RSS MB (sampled)', (r) => mb(r.peakRssBytes)],
  ['broker VmHWM MB (kernel peak)', (r) => mb(r.hwmBytes)],
];

export function renderReport(
  env: Environment,
  settings: string,
  results: ModeResult[],
  disk: LatencySummary,
  diskLoad: MachineLoad,
  targets: Target[],
): string {
  const header = ['', ...results.map((r) => r.mode)];
  const body = rows.map(([label, value]) => [label, ...results.map(value)]);
  const lines = [
    `Sluice broker benchmark — ${env.date}`,
    `command: ${env.command}`,
    `machine: ${env.cpus} × ${env.cpuModel}, ${env.memoryGiB} GiB, Linux ${env.kernel}, load average ${env.loadAverage.toFixed(2)} at start`,
    `Node ${env.node}, broker node flags ${env.brokerNodeFlags}; commit ${env.commit}`,
    `settings: ${settings}`,
    '',
    table([header, ...body]),
    '',
    'MB = 10^6 bytes of record values; latency per send() call as the client saw it. "others\' CPU cores": CPU',
    'used on average by every process but the broker and the benchmark (when others were busy, the figures are',
    'skewed); "IO stall": share of the time some task, ours included, waited for I/O (Linux PSI).',
    '',
    `disk write+fdatasync (${disk.count} rounds): p50 ${fmt(disk.p50Ms, 3)} ms, p99 ${fmt(disk.p99Ms, 3)} ms, max ${fmt(disk.maxMs, 3)} ms (others' CPU cores / IO stall % ${othersLoad(diskLoad)})`,
    '',
    'targets:',
    ...targets.map(
      (t) => `  [${t.met === undefined ? 'n/a' : t.met ? 'met' : 'MISSED'}] ${t.name}: ${t.detail}`,
    ),
  ];
  for (const r of results) {
    if (!r.hotFunctions) continue;
    lines.push('', `broker CPU profile (${r.mode}), top self time:`);
    for (const f of r.hotFunctions) {
      lines.push(
        `  ${(f.share * 100).toFixed(1).padStart(5)}%  ${fmt(f.selfMs, 0).padStart(7)} ms  ${f.name}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

/** A plain-text table, also valid Markdown. */
function table(cells: string[][]): string {
  const widths = cells[0].map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  const line = (row: string[]): string =>
    `| ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}

function int(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '-';
}

function fmt(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

function mb(bytes: number): string {
  return bytes > 0 ? (bytes / MB).toFixed(0) : '-';
}

function othersLoad(load: MachineLoad): string {
  const cores = load.otherCores === undefined ? '?' : load.otherCores.toFixed(2);
  const io = load.ioStall === undefined ? '?' : (load.ioStall * 100).toFixed(0);
  return `${cores} / ${io}`;
}

function heapAndExternal(counters: { heapUsedBytes: number; externalBytes: number }): string {
  return `${mb(counters.heapUsedBytes)} / ${mb(counters.externalBytes)}`;
}

function perFsync(records: number, fsyncs: number): string {
  return fsyncs > 0 ? fmt(records / fsyncs, 1) : '-';
}

function meanFsyncMs(counters: { fsyncs: number; fsyncSeconds: number }): string {
  return counters.fsyncs > 0 ? fmt((counters.fsyncSeconds / counters.fsyncs) * 1000, 2) : '-';
}
