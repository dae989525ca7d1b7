// Time as the publisher sees it: a seam so breaker back-offs, linger and send time-outs can be driven by a
// test's manual clock instead of wall time.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds (any epoch; only differences matter). */
  now(): number;
  /** Calls `fn` once after `ms`. Timers must not keep the process alive on their own (close() does that). */
  setTimer(fn: () => void, ms: number): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const handle = setTimeout(fn, Math.max(0, ms));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};
