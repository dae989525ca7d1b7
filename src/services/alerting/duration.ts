// Durations in the rules file: `500ms`, `10s`, `5m`, `4h`, `1d`, or a number of milliseconds.
import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+)(ms|s|m|h|d)$/;

/** Milliseconds from a duration string or a non-negative integer. */
export const duration = z.unknown().transform((value, ctx): number => {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  const m = typeof value === 'string' ? PATTERN.exec(value) : null;
  if (m !== null) return Number(m[1]) * UNITS[m[2]];
  ctx.addIssue({
    code: 'custom',
    message: `expected a duration such as 500ms, 10s, 5m, 4h or 1d (or milliseconds), got ${JSON.stringify(value)}`,
  });
  return z.NEVER;
});
