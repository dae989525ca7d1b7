// One alert's state (a rule and one value of its `by` labels), stepped at each evaluation time (event time):
//
//   inactive --condition--> pending --held for `for`--> firing --false (past keep_firing_for)--> resolved
//
// A series with no point past stale_after goes to no-data from any state, remembering that it was firing:
// no data is never taken as "resolved". When points come back the condition decides again; a firing alert
// that comes back true is still the same firing (no second notification).

export type AlertStateName = 'inactive' | 'pending' | 'firing' | 'resolved' | 'no-data';

export interface AlertState {
  state: AlertStateName;
  /** When the state was entered (event time, ms). */
  since: number;
  /** Pending: when the condition first held. */
  activeAt: number | null;
  /** Firing (or no-data after firing): when it started firing — the notification's startsAt. */
  firedAt: number | null;
  /** Last evaluation at which the condition held (for keep_firing_for). */
  lastTrueAt: number | null;
  value: number | null;
}

export type Transition =
  { kind: 'firing'; startsAt: number } | { kind: 'resolved'; startsAt: number; endsAt: number };

export interface Evaluation {
  at: number;
  /** undefined: no point in the window. */
  value: number | undefined;
  /** The condition on `value` (false when value is undefined). */
  holds: boolean;
  /** No point for the series past stale_after. */
  stale: boolean;
}

export interface Timing {
  forMs: number;
  keepFiringForMs: number;
}

export const INACTIVE: AlertState = {
  state: 'inactive',
  since: 0,
  activeAt: null,
  firedAt: null,
  lastTrueAt: null,
  value: null,
};

export function step(
  prev: AlertState,
  e: Evaluation,
  timing: Timing,
): { next: AlertState; transition?: Transition } {
  const t = e.at;
  const enter = (state: AlertStateName, fields: Partial<AlertState> = {}): AlertState => ({
    ...prev,
    state,
    since: prev.state === state ? prev.since : t,
    value: e.value ?? prev.value,
    ...fields,
  });
  if (e.value === undefined) {
    if (!e.stale) return { next: prev }; // a short gap: keep the state until the series is stale
    return { next: enter('no-data', { activeAt: null }) };
  }
  const wasFiring = prev.firedAt !== null && (prev.state === 'firing' || prev.state === 'no-data');
  if (e.holds) {
    if (wasFiring) return { next: enter('firing', { lastTrueAt: t }) };
    const activeAt = prev.state === 'pending' && prev.activeAt !== null ? prev.activeAt : t;
    if (t - activeAt >= timing.forMs) {
      return {
        next: enter('firing', { activeAt, firedAt: t, lastTrueAt: t }),
        transition: { kind: 'firing', startsAt: t },
      };
    }
    return { next: enter('pending', { activeAt, lastTrueAt: t }) };
  }
  if (wasFiring) {
    const kept = prev.lastTrueAt !== null && t - prev.lastTrueAt < timing.keepFiringForMs;
    if (kept) return { next: enter('firing') };
    return {
      next: enter('resolved', { activeAt: null, firedAt: null }),
      transition: { kind: 'resolved', startsAt: prev.firedAt!, endsAt: t },
    };
  }
  if (prev.state === 'pending' || prev.state === 'no-data')
    return { next: enter('inactive', { activeAt: null }) };
  return { next: enter(prev.state) };
}
