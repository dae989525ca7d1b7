// Seams for the publisher's unit tests: a manual clock and a bus producer the test controls.
import type { BusProducer, OutgoingRecord } from '../../../src/sdk/kafka-client.ts';
import type { Clock, Timer } from '../../../src/sdk/publisher/clock.ts';

export class ManualClock implements Clock {
  #now = 0;
  #timers: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];
  #seq = 0;

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): Timer {
    const t = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(t);
    return { cancel: () => void (t.cancelled = true) };
  }

  /** Moves time on, firing due timers in time order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const due = this.#timers
        .filter((t) => !t.cancelled && t.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.cancelled = true;
      this.#now = due.at;
      due.fn();
    }
    this.#now = target;
    this.#timers = this.#timers.filter((t) => !t.cancelled);
  }
}

export type BusMode = 'up' | 'down' | 'hang';

/** A bus the test switches up, down (sends reject) or hanging (sends never settle). */
export class FakeBus {
  mode: BusMode = 'up';
  /** Every record acknowledged, in order. */
  readonly delivered: OutgoingRecord[] = [];
  /** Every send attempt's records (failed ones included). */
  readonly attempts: OutgoingRecord[][] = [];
  producersMade = 0;
  producersClosed = 0;
  /** When set, making a producer throws (the bus unreachable at boot, as a client that connects eagerly). */
  failCreate = false;

  readonly transport = (): BusProducer => {
    if (this.failCreate) throw new Error('cannot reach the bus');
    this.producersMade++;
    return {
      send: (records) => {
        this.attempts.push(records);
        if (this.mode === 'down') return Promise.reject(new Error('bus down'));
        if (this.mode === 'hang') return new Promise<void>(() => {});
        this.delivered.push(...records);
        return Promise.resolve();
      },
      close: () => {
        this.producersClosed++;
        return Promise.resolve();
      },
    };
  };

  values(): string[] {
    return this.delivered.map((r) => r.value.toString());
  }
}
