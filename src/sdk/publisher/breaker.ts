// The publisher's circuit breaker: a small state machine driven by send outcomes and an injectable clock.
//
//   closed    --(N consecutive failures, or failure ratio >= R over windowMs with >= minThroughput sends)--> open
//   open      --(back-off elapsed)--> half-open
//   half-open --(a probe fails)--> open, with the back-off doubled (capped at maxHalfOpenAfterMs)
//   half-open --(M probes in a row succeed)--> closed, back-off reset to halfOpenAfterMs
//
// Why not cockatiel: its breakers are either consecutive or sampling (not both), it closes after a single
// half-open success (not M), and it reads Date.now() with no clock seam, so transitions under a flapping bus
// could not be tested deterministically. The probes here are the publisher's real buffered batches: the
// breaker only says when a send may be attempted; the caller sends its oldest batch.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerSettings {
  consecutiveFailures: number;
  failureRatio: number;
  windowMs: number;
  minThroughput: number;
  halfOpenAfterMs: number;
  maxHalfOpenAfterMs: number;
  closeAfterSuccesses: number;
  /** Fraction (0..1) by which a back-off is randomly shortened; 0 = deterministic. */
  jitter?: number;
}

export type TransitionReason =
  'consecutive_failures' | 'failure_ratio' | 'backoff_elapsed' | 'probe_failed' | 'probes_succeeded';

export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  reason: TransitionReason;
  at: number;
  /** For transitions to open: how long until the next probe. */
  backoffMs?: number;
}

export class CircuitBreaker {
  readonly #s: Required<BreakerSettings>;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #onTransition: (t: BreakerTransition) => void;
  #state: BreakerState = 'closed';
  #consecutive = 0;
  /** Outcomes in the closed state within the window, oldest first. */
  #window: { at: number; ok: boolean }[] = [];
  #backoffMs: number;
  #probeAt = 0;
  #probeSuccesses = 0;

  constructor(
    settings: BreakerSettings,
    now: () => number,
    onTransition: (t: BreakerTransition) => void,
    random: () => number = Math.random,
  ) {
    this.#s = { jitter: 0, ...settings };
    this.#now = now;
    this.#random = random;
    this.#onTransition = onTransition;
    this.#backoffMs = settings.halfOpenAfterMs;
  }

  get state(): BreakerState {
    return this.#state;
  }

  /** The back-off the next (or current) open period uses. */
  get backoffMs(): number {
    return this.#backoffMs;
  }

  /**
   * Milliseconds until a send may be attempted (0 = now). An open breaker whose back-off has elapsed
   * moves to half-open here, so the caller's next send is the probe.
   */
  delayUntilAttempt(): number {
    if (this.#state !== 'open') return 0;
    const wait = this.#probeAt - this.#now();
    if (wait > 0) return wait;
    this.#probeSuccesses = 0;
    this.#transition('half-open', 'backoff_elapsed');
    return 0;
  }

  success(): void {
    if (this.#state === 'half-open') {
      if (++this.#probeSuccesses >= this.#s.closeAfterSuccesses) {
        this.#backoffMs = this.#s.halfOpenAfterMs;
        this.#consecutive = 0;
        this.#window = [];
        this.#transition('closed', 'probes_succeeded');
      }
      return;
    }
    if (this.#state === 'closed') {
      this.#consecutive = 0;
      this.#record(true);
    }
  }

  failure(): void {
    if (this.#state === 'half-open') {
      this.#backoffMs = Math.min(this.#backoffMs * 2, this.#s.maxHalfOpenAfterMs);
      this.#open('probe_failed');
      return;
    }
    if (this.#state !== 'closed') return;
    this.#consecutive++;
    this.#record(false);
    if (this.#consecutive >= this.#s.consecutiveFailures) {
      this.#open('consecutive_failures');
      return;
    }
    const total = this.#window.length;
    const failed = this.#window.reduce((n, o) => n + (o.ok ? 0 : 1), 0);
    if (total >= this.#s.minThroughput && failed / total >= this.#s.failureRatio) this.#open('failure_ratio');
  }

  #record(ok: boolean): void {
    const now = this.#now();
    this.#window.push({ at: now, ok });
    const horizon = now - this.#s.windowMs;
    let drop = 0;
    while (drop < this.#window.length && this.#window[drop].at <= horizon) drop++;
    if (drop > 0) this.#window.splice(0, drop);
  }

  #open(reason: TransitionReason): void {
    const delay = Math.round(this.#backoffMs * (1 - this.#s.jitter * this.#random()));
    this.#probeAt = this.#now() + delay;
    this.#consecutive = 0;
    this.#window = [];
    this.#transition('open', reason, delay);
  }

  #transition(to: BreakerState, reason: TransitionReason, backoffMs?: number): void {
    const from = this.#state;
    this.#state = to;
    this.#onTransition({
      from,
      to,
      reason,
      at: this.#now(),
      ...(backoffMs === undefined ? {} : { backoffMs }),
    });
  }
}
