// The coordinator's only view of time: a clock that reads "now" and schedules callbacks. The broker uses the
// system clock; the state-machine tests use a fake one they advance by hand, so session and rebalance
// timeouts are tested without waiting for them.

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    // Group timers never keep a process alive on their own: the listener does while the broker runs.
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * One named timer slot: starting it again replaces the pending callback, and stop() is safe to call at any
 * time. Every timer of the coordinator lives in one of these, so "clear it when the state changes" is one
 * call and a leak shows up as a slot left running.
 */
export class Timer {
  readonly #clock: Clock;
  #handle: unknown;
  #running = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get running(): boolean {
    return this.#running;
  }

  start(ms: number, callback: () => void): void {
    this.stop();
    this.#running = true;
    this.#handle = this.#clock.setTimeout(
      () => {
        this.#running = false;
        this.#handle = undefined;
        callback();
      },
      Math.max(0, ms),
    );
  }

  stop(): void {
    if (!this.#running) return;
    this.#clock.clearTimeout(this.#handle);
    this.#running = false;
    this.#handle = undefined;
  }
}
