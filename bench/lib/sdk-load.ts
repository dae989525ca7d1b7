// The SDK benchmark's load loop and memory sampler. The loop calls publish as fast as it returns, in chunks,
// yielding to the event loop between chunks (the publisher's sends and acks run on the same thread), and
// times only the calls themselves: the caller-side cost per record. A 'blocked' outcome (whenFull: block)
// waits for room before the next chunk.
import { setImmediate as yieldToLoop } from 'node:timers/promises';

export type Outcome = 'accepted' | 'dropped' | 'blocked' | Promise<void>;

export interface LoadResult {
  /** Calls made. */
  calls: number;
  accepted: number;
  dropped: number;
  /** Calls that had to wait for buffer room (accepted later). */
  blocked: number;
  /** Wall time of the loop, in seconds. */
  seconds: number;
  /** Nanoseconds inside the publish calls, per call. */
  nsPerCall: number;
}

const CHUNK = 1000;

export async function driveLoad(
  seconds: number,
  publish: (i: number) => Outcome,
  waitForRoom: (blocked: Outcome) => Promise<void>,
): Promise<LoadResult> {
  let calls = 0;
  let accepted = 0;
  let dropped = 0;
  let blocked = 0;
  let inCalls = 0n;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    let waitOn: Outcome | undefined;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CHUNK; i++) {
      const r = publish(calls++);
      if (r === 'accepted') accepted++;
      else if (r === 'dropped') dropped++;
      else {
        blocked++;
        waitOn = r;
        break;
      }
    }
    inCalls += process.hrtime.bigint() - t0;
    if (waitOn !== undefined) await waitForRoom(waitOn);
    else await yieldToLoop();
  }
  return {
    calls,
    accepted,
    dropped,
    blocked,
    seconds: (performance.now() - start) / 1000,
    nsPerCall: Number(inCalls) / Math.max(calls, 1),
  };
}

export interface MemoryPeaks {
  rssBytes: number;
  heapUsedBytes: number;
  /** Buffers outside the JS heap (external incl. arrayBuffers). */
  externalBytes: number;
  /** The publisher's own accounting of what it holds (its buffer plus the batch being filled). */
  bufferedBytes: number;
  samples: number;
}

/** Samples this process's memory and the publisher's buffered bytes every `intervalMs` (when the loop yields). */
export class MemorySampler {
  readonly #timer: NodeJS.Timeout;
  readonly #buffered: () => number;
  readonly peaks: MemoryPeaks = {
    rssBytes: 0,
    heapUsedBytes: 0,
    externalBytes: 0,
    bufferedBytes: 0,
    samples: 0,
  };

  constructor(buffered: () => number, intervalMs = 50) {
    this.#buffered = buffered;
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.sample();
  }

  sample(): void {
    const m = process.memoryUsage();
    const p = this.peaks;
    p.rssBytes = Math.max(p.rssBytes, m.rss);
    p.heapUsedBytes = Math.max(p.heapUsedBytes, m.heapUsed);
    p.externalBytes = Math.max(p.externalBytes, m.external);
    p.bufferedBytes = Math.max(p.bufferedBytes, this.#buffered());
    p.samples++;
  }

  stop(): MemoryPeaks {
    this.sample();
    clearInterval(this.#timer);
    return this.peaks;
  }
}

/** Memory now, for the baseline a phase's peaks are compared with. */
export function memoryNow(): { rssBytes: number; heapUsedBytes: number; externalBytes: number } {
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external };
}
