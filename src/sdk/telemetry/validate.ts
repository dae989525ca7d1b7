// Input checks for the telemetry API. They run on the caller's path, so they are written for speed (no
// regex on the per-call path; the metric name is checked once per instrument) and throw
// TelemetryValidationError naming the argument.
import { TelemetryValidationError } from './errors.ts';

/** An attribute value: OpenTelemetry's primitive attribute types (arrays are not supported in v1). */
export type AttributeValue = string | number | boolean;
export type Attributes = Readonly<Record<string, AttributeValue>>;
/** What a JSON payload or log field may hold: exactly what survives a JSON round trip unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

// OpenTelemetry instrument name syntax: a letter, then letters, digits, `_`, `.`, `-` or `/`; 255 max.
const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$/;
// OpenTelemetry unit: printable ASCII, at most 63 characters.
const UNIT = /^[\x20-\x7e]{0,63}$/;
const MAX_DEPTH = 64;

export function checkMetricName(call: string, name: unknown): string {
  if (typeof name !== 'string')
    throw new TelemetryValidationError(call, 'name', `must be a string, got ${typeOf(name)}`);
  if (!METRIC_NAME.test(name)) {
    throw new TelemetryValidationError(
      call,
      'name',
      `${JSON.stringify(name)} is not a valid metric name: it must start with a letter, contain only letters, digits, "_", ".", "-" or "/", and be at most 255 characters`,
    );
  }
  return name;
}

export function checkUnit(call: string, unit: unknown): string | undefined {
  if (unit === undefined) return undefined;
  if (typeof unit !== 'string' || !UNIT.test(unit)) {
    throw new TelemetryValidationError(
      call,
      'options.unit',
      'must be printable ASCII of at most 63 characters',
    );
  }
  return unit;
}

export function checkFinite(call: string, argument: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new TelemetryValidationError(call, argument, `must be a number, got ${typeOf(value)}`);
  }
  if (value - value !== 0) throw new TelemetryValidationError(call, argument, `must be finite, got ${value}`);
  return value;
}

/** Histogram bucket boundaries: finite, strictly increasing. Returns a frozen copy. */
export function checkBoundaries(call: string, argument: string, bounds: unknown): readonly number[] {
  if (!Array.isArray(bounds))
    throw new TelemetryValidationError(call, argument, 'must be an array of numbers');
  for (let i = 0; i < bounds.length; i++) {
    checkFinite(call, `${argument}[${i}]`, bounds[i]);
    if (i > 0 && (bounds[i] as number) <= (bounds[i - 1] as number)) {
      throw new TelemetryValidationError(
        call,
        `${argument}[${i}]`,
        'must be greater than the boundary before it',
      );
    }
  }
  return Object.freeze([...(bounds as number[])]);
}

/** A sorted, frozen copy of attributes already checked by SeriesIndex.lookup. */
export function snapshotAttributes(attributes: unknown): Attributes {
  const copy: Record<string, AttributeValue> = {};
  if (attributes !== undefined && attributes !== null) {
    const source = attributes as Record<string, AttributeValue>;
    for (const key of Object.keys(source).sort()) copy[key] = source[key];
  }
  return Object.freeze(copy);
}

/**
 * Checks that `value` survives a JSON round trip unchanged: plain objects and arrays of null, booleans,
 * finite numbers and strings, no cycles, at most 64 levels deep. `undefined`, functions, bigints,
 * symbols, NaN and class instances (Date, Map, Buffer...) are refused rather than silently changed.
 */
export function checkJson(call: string, argument: string, value: unknown): JsonValue {
  // The common case, valid input, is answered by a walk that builds nothing (no paths, no ancestor list);
  // only when it says no does the walk that knows where and why run, to throw.
  if (!isPlainJson(value, 0)) checkJsonAt(call, argument, value, [], 0);
  return value as JsonValue;
}

/**
 * True when checkJsonAt would accept `value`. A cycle is not looked for: it makes the walk go deeper than
 * MAX_DEPTH, which answers false, and checkJsonAt then says which of the two it is. for...in visits every
 * own enumerable key (plus any inherited ones, only ever a cause for a false no), and is cheaper than
 * Object.keys, which allocates.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  if (typeof value !== 'object') {
    return (
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && value - value === 0)
    );
  }
  if (value === null) return true;
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key in value) {
    if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

function checkJsonAt(call: string, path: string, value: unknown, stack: object[], depth: number): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (value - value !== 0) throw new TelemetryValidationError(call, path, `must be finite, got ${value}`);
      return;
    case 'object':
      break;
    default:
      throw new TelemetryValidationError(call, path, `is not JSON-serialisable: ${typeOf(value)}`);
  }
  if (value === null) return;
  if (depth >= MAX_DEPTH)
    throw new TelemetryValidationError(call, path, `nests deeper than ${MAX_DEPTH} levels`);
  if (stack.includes(value)) throw new TelemetryValidationError(call, path, 'is a circular reference');
  stack.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkJsonAt(call, `${path}[${i}]`, value[i], stack, depth + 1);
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new TelemetryValidationError(call, path, `must be a plain object, got ${typeOf(value)}`);
    }
    for (const key of Object.keys(value)) {
      checkJsonAt(call, `${path}.${key}`, (value as Record<string, unknown>)[key], stack, depth + 1);
    }
  }
  stack.pop();
}

export function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const ctor = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor
      ?.name;
    return ctor && ctor !== 'Object' ? `a ${ctor}` : 'an object';
  }
  if (typeof value === 'number' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  return typeof value;
}
