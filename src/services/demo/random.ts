// Seeded randomness for the demo generators (mulberry32, as in the tests' PRNG): the same seed replays the
// same sequence of routes, amounts, ids and outcomes, so a run can be reproduced from its /status.

export interface Random {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One of `items`, each with its weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T;
  pick<T>(items: readonly T[]): T;
  /** Log-normal with the given median and shape sigma: latencies and amounts have this long right tail. */
  logNormal(median: number, sigma: number): number;
  /** `length` hex digits. */
  hex(length: number): string;
}

export function freshSeed(): number {
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}

export function random(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 2 ** 32;
  };
  const normal = (): number => {
    // Box-Muller; 1 - next() is in (0, 1], so the log is finite.
    const u = 1 - next();
    const v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    weighted(items) {
      const total = items.reduce((sum, [, weight]) => sum + weight, 0);
      let at = next() * total;
      for (const [item, weight] of items) {
        at -= weight;
        if (at < 0) return item;
      }
      return items[items.length - 1][0];
    },
    pick: (items) => items[Math.floor(next() * items.length)],
    logNormal: (median, sigma) => median * Math.exp(sigma * normal()),
    hex: (length) => Array.from({ length }, () => Math.floor(next() * 16).toString(16)).join(''),
  };
}
