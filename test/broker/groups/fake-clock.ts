// A clock the test moves by hand: timers fire, in due order, only inside advance(). It counts pending
// timers so a test can check that nothing was left running.
import type { Clock } from '../../../src/broker/groups/clock.ts';

interface Scheduled {
  id: number;
  at: number;
  callback: () => void;
}

export class FakeClock implements Clock {
  #now = 1_700_000_000_000;
  #nextId = 1;
  readonly #timers = new Map<number, Scheduled>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers not yet fired nor cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing each timer due on the way at its own time (in order). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: Scheduled | undefined;
      for (const t of this.#timers.values())
        if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (!next) break;
      this.#timers.delete(next.id);
      this.#now = next.at;
      next.callback();
    }
    this.#now = end;
  }
}
