// The side-by-side table of bench/versus-kafka.ts: each figure for the embedded broker and for Apache
// Kafka, their ratio (embedded / Kafka) and the target the issue sets for that ratio.
import { cpus } from 'node:os';
import { KAFKA_VERSION } from '../../scripts/kafka/distribution.ts';
import type { HotFunction } from './cpu-profile.ts';

export interface Figures {
  /** Restart on existing data: spawn to the first served Metadata. */
  startupMs: number;
  /** VmRSS a few seconds after startup, before any load. */
  idleRssBytes: number;
  produceRecordsPerSec: number;
  produceP99Ms: number;
  consumeRecordsPerSec: number;
}

export interface PairingResult {
  name: string;
  embedded: string;
  kafka: string;
  flushPerWrite: boolean;
  embeddedFigures: Figures;
  kafkaFigures: Figures;
  /** With --cpu-prof: the embedded broker's top self-time functions over its measured run. */
  embeddedHotFunctions?: readonly HotFunction[];
}

interface Row {
  label: string;
  key: keyof Figures;
  format: (n: number) => string;
  /** The ratio's target and whether higher ratios are better; none for figures without a target. */
  target?: (flushPerWrite: boolean) => { bound: number; atLeast: boolean };
}

const whole = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const oneDecimal = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');

const ROWS: Row[] = [
  {
    label: 'produce records/s',
    key: 'produceRecordsPerSec',
    format: whole,
    target: (flush) => ({ bound: flush ? 1.5 : 1.0, atLeast: true }),
  },
  { label: 'produce p99 latency ms', key: 'produceP99Ms', format: oneDecimal },
  {
    label: 'consume records/s',
    key: 'consumeRecordsPerSec',
    format: whole,
    target: (flush) => ({ bound: flush ? 1.5 : 1.0, atLeast: true }),
  },
  {
    label: 'startup to 1st Metadata ms',
    key: 'startupMs',
    format: whole,
    target: () => ({ bound: 1 / 20, atLeast: false }),
  },
  {
    label: 'idle RSS MiB',
    key: 'idleRssBytes',
    format: (n) => oneDecimal(n / 1024 / 1024),
    target: () => ({ bound: 1 / 4, atLeast: false }),
  },
];

export function renderComparison(
  command: string,
  settings: string,
  loadBefore: readonly number[],
  results: readonly PairingResult[],
): string {
  const heap = process.env.KAFKA_HEAP_OPTS ?? '-Xms256m -Xmx512m';
  const lines = [
    `Embedded broker vs Apache Kafka ${KAFKA_VERSION} (1 node, heap ${heap}), same client, same run`,
    `command: ${command}`,
    `settings: ${settings}`,
    `machine: ${cpus().length} cores, load average at start ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
    '',
  ];
  const pad = (s: string, n: number) => s.padStart(n);
  for (const r of results) {
    lines.push(`${r.name}: embedded ${r.embedded} vs Kafka ${r.kafka}`);
    lines.push(`  ${'figure'.padEnd(28)}${pad('embedded', 12)}${pad('kafka', 12)}${pad('ratio', 9)}  target`);
    for (const row of ROWS) {
      const mine = r.embeddedFigures[row.key];
      const theirs = r.kafkaFigures[row.key];
      const ratio = mine / theirs;
      let verdict = '';
      if (row.target) {
        const { bound, atLeast } = row.target(r.flushPerWrite);
        const met = atLeast ? ratio >= bound : ratio <= bound;
        verdict = `${atLeast ? '≥' : '≤'} ${bound.toFixed(2)}× ${met ? 'met' : 'MISSED'}`;
      }
      lines.push(
        `  ${row.label.padEnd(28)}${pad(row.format(mine), 12)}${pad(row.format(theirs), 12)}` +
          `${pad(Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a', 9)}  ${verdict}`,
      );
    }
    if (r.embeddedHotFunctions) {
      lines.push(`  embedded broker (${r.embedded}), CPU self time by function over its run:`);
      for (const f of r.embeddedHotFunctions) {
        lines.push(
          `    ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}`,
        );
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}
