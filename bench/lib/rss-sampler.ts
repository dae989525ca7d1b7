// Samples a process's resident memory from /proc/<pid>/status (VmRSS, and the kernel's own peak VmHWM) at a
// fixed interval, so the broker's memory is measured apart from the benchmark's clients. Phases mark where a
// sample falls, so each phase reports its own peak.
import { readFileSync } from 'node:fs';

export interface MemoryReading {
  /** Resident set size now, in bytes. */
  rss: number;
  /** The highest resident set size the kernel has seen for this process, in bytes. */
  hwm: number;
}

/** Reads VmRSS and VmHWM of `pid`; undefined once the process is gone. */
export function readMemory(pid: number): MemoryReading | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  };
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/** The highest VmRSS seen in one second of the run. */
export interface RssPoint {
  second: number;
  phase: string;
  rssBytes: number;
}

export class RssSampler {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  readonly #peakByPhase = new Map<string, number>();
  readonly #started = performance.now();
  readonly #trace: RssPoint[] = [];
  #phase = 'startup';
  #peak = 0;
  #hwm = 0;
  samples = 0;

  constructor(pid: number, intervalMs = 50) {
    this.#pid = pid;
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
    this.sample();
  }

  /** Later samples count towards `name` (and the whole run). */
  phase(name: string): void {
    this.sample();
    this.#phase = name;
    this.sample();
  }

  sample(): void {
    const reading = readMemory(this.#pid);
    if (!reading) return;
    this.samples++;
    this.#peak = Math.max(this.#peak, reading.rss);
    this.#hwm = Math.max(this.#hwm, reading.hwm);
    this.#peakByPhase.set(this.#phase, Math.max(this.#peakByPhase.get(this.#phase) ?? 0, reading.rss));
    const second = Math.floor((performance.now() - this.#started) / 1000);
    const last = this.#trace.at(-1);
    if (last && last.second === second && last.phase === this.#phase)
      last.rssBytes = Math.max(last.rssBytes, reading.rss);
    else this.#trace.push({ second, phase: this.#phase, rssBytes: reading.rss });
  }

  /** VmRSS over the run, one point per second (and per phase change): does it level off or keep rising? */
  get trace(): readonly RssPoint[] {
    return this.#trace;
  }

  /** Highest sampled VmRSS in a phase, in bytes. */
  peakOf(phase: string): number {
    return this.#peakByPhase.get(phase) ?? 0;
  }

  /** Highest sampled VmRSS, and the kernel's VmHWM (which also catches peaks between samples). */
  get peak(): MemoryReading {
    return { rss: this.#peak, hwm: this.#hwm };
  }

  stop(): void {
    this.sample();
    clearInterval(this.#timer);
  }
}
