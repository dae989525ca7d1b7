// Runs an operation `rate` times per second, spread over small ticks: each tick runs the operations due
// since the last one (fractions carry over), so low rates stay exact on average and a stalled event loop
// catches up by at most one second of work instead of bursting.

const TICK_MS = 50;

export interface Ticker {
  stop(): void;
}

export function startTicker(rate: number, operation: () => void, now: () => number = Date.now): Ticker {
  if (rate <= 0) return { stop: () => undefined };
  let last = now();
  let carry = 0;
  const timer = setInterval(() => {
    const at = now();
    const due = Math.min(carry + ((at - last) / 1000) * rate, Math.max(rate, 1));
    last = at;
    const count = Math.floor(due);
    carry = due - count;
    for (let i = 0; i < count; i++) operation();
  }, TICK_MS);
  return { stop: () => clearInterval(timer) };
}
