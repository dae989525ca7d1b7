// Version ranges as Kafka's message definitions write them ("0+", "3-7", "5", "none") and the
// version conditions the generated code branches on.

/** Inclusive range; max is Infinity for an open-ended "N+". */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** Parses a versions string; "none" (or an absent optional one) is null. */
export function parseVersions(spec: unknown, what: string): Range | null {
  if (spec === undefined || spec === 'none') return null;
  if (typeof spec !== 'string')
    throw new Error(`${what}: versions must be a string, got ${JSON.stringify(spec)}`);
  let m = /^(\d+)\+$/.exec(spec);
  if (m) return { min: Number(m[1]), max: Infinity };
  m = /^(\d+)-(\d+)$/.exec(spec);
  if (m) {
    const range = { min: Number(m[1]), max: Number(m[2]) };
    if (range.min > range.max) throw new Error(`${what}: empty version range "${spec}"`);
    return range;
  }
  m = /^(\d+)$/.exec(spec);
  if (m) return { min: Number(m[1]), max: Number(m[1]) };
  throw new Error(`${what}: cannot parse versions "${spec}"`);
}

export function intersect(a: Range | null, b: Range | null): Range | null {
  if (a === null || b === null) return null;
  const min = Math.max(a.min, b.min);
  const max = Math.min(a.max, b.max);
  return min <= max ? { min, max } : null;
}

export function hull(a: Range | null, b: Range): Range {
  return a === null ? b : { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

export function sameRange(a: Range | null, b: Range | null): boolean {
  return a === b || (a !== null && b !== null && a.min === b.min && a.max === b.max);
}

/**
 * Whether a version in ctx lies in range: true or false when that is the same for every version in
 * ctx, otherwise a JavaScript condition on `version` that needs only the bounds ctx does not imply.
 */
export type Cond = boolean | string;

export function versionCond(range: Range | null, ctx: Range): Cond {
  if (intersect(range, ctx) === null || range === null) return false;
  const parts: string[] = [];
  if (range.min > ctx.min) parts.push(`version >= ${range.min}`);
  if (range.max < ctx.max) parts.push(`version <= ${range.max}`);
  return parts.length === 0 ? true : parts.join(' && ');
}

/** `a` when cond holds, `b` otherwise, as an expression. */
export function ternary(cond: Cond, a: string, b: string): string {
  if (cond === true) return a;
  if (cond === false) return b;
  return a === b ? a : `(${cond} ? ${a} : ${b})`;
}

/** Statements `a` when cond holds, `b` otherwise. */
export function ifElse(cond: Cond, a: string, b = ''): string {
  if (cond === true) return a;
  if (cond === false) return b;
  if (a === b) return a;
  if (a === '') return `if (!(${cond})) {\n${b}\n}`;
  return b === '' ? `if (${cond}) {\n${a}\n}` : `if (${cond}) {\n${a}\n} else {\n${b}\n}`;
}

/** The range closed at max (for descriptors: "0+" in a message of versions 0-11 is [0, 11]). */
export function closeRange(range: Range, max: number): [number, number] {
  return [range.min, Math.min(range.max, max)];
}
