// Parking a long-poll Fetch: one waiter per parked request, woken by an append that raises a requested
// partition's high watermark, by its max-wait deadline, by broker shutdown or by its connection closing.
// dispose() removes every subscription and clears the timer, whichever way the wait ended.
//
// The shutdown signal and a connection's `closed` promise are shared by many fetches over a long time.
// Subscribing each fetch to them directly would pile up listeners (an AbortSignal warns past 10, and a
// promise keeps every reaction until it settles), so each gets one listener that fans out to the
// waiters parked at that moment.
import type { ConnectionInfo } from './handler.ts';
import type { Partition } from '../topics/topic-manager.ts';

type Wake = () => void;

const parkedOnSignal = new WeakMap<AbortSignal, Set<Wake>>();
const parkedOnConnection = new WeakMap<ConnectionInfo, Set<Wake>>();
/** Signals that fired and connections that closed: a waiter parking on them now wakes at once. */
const fired = new WeakSet<object>();

function parkOn<K extends object>(
  registry: WeakMap<K, Set<Wake>>,
  key: K,
  listen: (fire: () => void) => void,
  wake: Wake,
): () => void {
  if (fired.has(key)) {
    wake();
    return () => undefined;
  }
  let waiters = registry.get(key);
  if (!waiters) {
    const set = new Set<Wake>();
    registry.set(key, set);
    listen(() => {
      fired.add(key);
      registry.delete(key);
      for (const w of set) w();
      set.clear();
    });
    waiters = set;
  }
  const set = waiters;
  set.add(wake);
  return () => set.delete(wake);
}

/** The longest delay setTimeout takes; longer max waits are cut to it (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type WakeReason = 'data' | 'deadline' | 'shutdown' | 'closed';

export class FetchWaiter {
  readonly #cleanups: (() => void)[] = [];
  /** Set by a wake that arrived while nobody was waiting; the next wait() returns at once. */
  #pending: WakeReason | undefined;
  #resolve: ((reason: WakeReason) => void) | undefined;
  #final: WakeReason | undefined;

  constructor(options: {
    partitions: readonly Partition[];
    maxWaitMs: number;
    shutdown: AbortSignal;
    connection: ConnectionInfo;
  }) {
    const { partitions, maxWaitMs, shutdown, connection } = options;
    for (const p of new Set(partitions)) this.#cleanups.push(p.log.onHighWatermark(() => this.#wake('data')));
    const timer = setTimeout(() => this.#wake('deadline'), Math.min(Math.max(0, maxWaitMs), MAX_TIMER_MS));
    this.#cleanups.push(() => clearTimeout(timer));
    if (shutdown.aborted) fired.add(shutdown);
    this.#cleanups.push(
      parkOn(
        parkedOnSignal,
        shutdown,
        (fire) => shutdown.addEventListener('abort', fire, { once: true }),
        () => this.#wake('shutdown'),
      ),
    );
    this.#cleanups.push(
      parkOn(
        parkedOnConnection,
        connection,
        (fire) => void connection.closed.then(fire),
        () => this.#wake('closed'),
      ),
    );
  }

  /** Resolves with why the fetch should look again; data wakes that came meanwhile are coalesced. */
  wait(): Promise<WakeReason> {
    if (this.#final) return Promise.resolve(this.#final);
    if (this.#pending) {
      const reason = this.#pending;
      this.#pending = undefined;
      return Promise.resolve(reason);
    }
    return new Promise((resolve) => (this.#resolve = resolve));
  }

  #wake(reason: WakeReason): void {
    // Anything but new data ends the wait for good.
    if (reason !== 'data') this.#final = reason;
    const resolve = this.#resolve;
    if (resolve) {
      this.#resolve = undefined;
      resolve(reason);
    } else if (reason === 'data') {
      this.#pending = reason;
    }
  }

  dispose(): void {
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    this.#resolve = undefined;
  }
}
