// Random and default message values built from the generated schema descriptors, with a seeded PRNG
// so a failing case can be replayed: set SLUICE_TEST_SEED to the seed a failure reports.
import type {
  FieldSchema,
  MessageSchema,
  UnknownTag,
  VersionRange,
} from '../../src/protocol/messages/index.ts';

/** Seed for this run: SLUICE_TEST_SEED if set, else a fixed one so CI runs are reproducible. */
export const SEED =
  process.env.SLUICE_TEST_SEED === undefined ? 0x5eed : Number(process.env.SLUICE_TEST_SEED);

/** mulberry32: small, fast, good enough to generate test values. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255);
    return b;
  }
}

export function inRange(range: VersionRange | null, version: number): boolean {
  return range !== null && version >= range[0] && version <= range[1];
}

export function isFlexible(schema: MessageSchema, version: number): boolean {
  return inRange(schema.flexibleVersions, version);
}

type Value = unknown;
type Struct = Record<string, Value>;

/** What a decoder yields for a field absent from the version. */
export function defaultValue(field: FieldSchema): Value {
  const d = field.default;
  if (d === undefined) return defaultStruct(field.fields ?? []);
  if (Array.isArray(d)) return [];
  if (Buffer.isBuffer(d)) return Buffer.alloc(0);
  return d;
}

export function defaultStruct(fields: readonly FieldSchema[]): Struct {
  const out: Struct = {};
  for (const f of fields) if (f.tag === null) out[f.name] = defaultValue(f);
  return out;
}

const INT_BOUNDS: Record<string, [number, number]> = {
  int8: [-0x80, 0x7f],
  int16: [-0x8000, 0x7fff],
  int32: [-0x80000000, 0x7fffffff],
  uint16: [0, 0xffff],
  uint32: [0, 0xffffffff],
};
const FLOATS = [0, -0, 1.5, -2.25, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE];
const INT64S = [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 1n];
// Multi-byte UTF-8 and a surrogate pair, so byte lengths differ from string lengths.
const ALPHABET = ['a', 'z', 'K', '0', '-', '.', '_', ' ', 'é', 'ß', '中', '€', '😀'];
const HEX = '0123456789abcdef';

export interface ValueOptions {
  /** Longest array generated. */
  readonly maxArray: number;
  /** Chance that a nullable value is null. */
  readonly nullChance: number;
  /** Chance that a flexible struct carries unknown tagged fields. */
  readonly unknownTagChance: number;
}

export const DEFAULT_OPTIONS: ValueOptions = { maxArray: 3, nullChance: 0.2, unknownTagChance: 0.3 };

export class ValueGenerator {
  readonly rng: Rng;
  readonly options: ValueOptions;

  constructor(rng: Rng, options: ValueOptions = DEFAULT_OPTIONS) {
    this.rng = rng;
    this.options = options;
  }

  /** A random value of the message for this version, with defaults where fields are absent. */
  message(schema: MessageSchema, version: number): Struct {
    return this.struct(schema.fields, version, isFlexible(schema, version), 0);
  }

  struct(fields: readonly FieldSchema[], version: number, flexible: boolean, depth: number): Struct {
    const out: Struct = {};
    for (const f of fields) {
      const present = inRange(f.versions, version);
      if (f.tag !== null) {
        // Tagged: either absent, or set to something other than its default (a default is not sent).
        if (present && inRange(f.taggedVersions, version) && this.rng.chance(0.5)) {
          out[f.name] = this.#nonDefault(f, version, flexible, depth);
        }
      } else {
        out[f.name] = present ? this.field(f, version, flexible, depth) : defaultValue(f);
      }
    }
    if (flexible && this.rng.chance(this.options.unknownTagChance))
      out._unknownTags = this.unknownTags(fields);
    return out;
  }

  /** One to three unknown tags, ascending, avoiding every tag the struct defines. */
  unknownTags(fields: readonly FieldSchema[]): UnknownTag[] {
    const known = new Set(fields.map((f) => f.tag));
    const tags = new Set<number>();
    const count = this.rng.int(1, 3);
    while (tags.size < count) {
      const tag = this.rng.chance(0.2) ? this.rng.int(128, 100_000) : this.rng.int(0, 40);
      if (!known.has(tag)) tags.add(tag);
    }
    return [...tags]
      .sort((a, b) => a - b)
      .map((tag) => ({ tag, data: this.rng.bytes(this.rng.chance(0.1) ? 200 : this.rng.int(0, 6)) }));
  }

  field(f: FieldSchema, version: number, flexible: boolean, depth: number): Value {
    if (inRange(f.nullableVersions, version) && this.rng.chance(this.options.nullChance)) return null;
    if (f.array) {
      const n = depth > 3 ? 0 : this.rng.int(0, this.options.maxArray);
      return Array.from({ length: n }, () => this.element(f, version, flexible, depth + 1));
    }
    return this.element(f, version, flexible, depth + 1);
  }

  element(f: FieldSchema, version: number, flexible: boolean, depth: number): Value {
    const rng = this.rng;
    const bounds = INT_BOUNDS[f.kind];
    if (bounds) return rng.chance(0.3) ? rng.pick([bounds[0], bounds[1], 0]) : rng.int(bounds[0], bounds[1]);
    switch (f.kind) {
      case 'int64':
        return rng.chance(0.3)
          ? rng.pick(INT64S)
          : BigInt.asIntN(64, (BigInt(rng.int(0, 0xffffffff)) << 32n) | BigInt(rng.int(0, 0xffffffff)));
      case 'float64':
        return rng.chance(0.5) ? rng.pick(FLOATS) : (rng.next() - 0.5) * 1e9;
      case 'bool':
        return rng.chance(0.5);
      case 'string': {
        const n = rng.chance(0.05) ? rng.int(43, 300) : rng.int(0, 12);
        return Array.from({ length: n }, () => rng.pick(ALPHABET)).join('');
      }
      case 'bytes':
      case 'records':
        return rng.bytes(rng.chance(0.05) ? 300 : rng.int(0, 16));
      case 'uuid': {
        let s = '';
        for (let i = 0; i < 32; i++)
          s += (i === 8 || i === 12 || i === 16 || i === 20 ? '-' : '') + HEX[rng.int(0, 15)];
        return s;
      }
      case 'struct':
        return this.struct(f.fields ?? [], version, flexible, depth);
      default:
        throw new Error(`no generator for ${f.kind}`);
    }
  }

  #nonDefault(f: FieldSchema, version: number, flexible: boolean, depth: number): Value {
    for (let attempt = 0; attempt < 100; attempt++) {
      const v = this.field(f, version, flexible, depth);
      if (!isDefault(f, v)) return v;
    }
    throw new Error(`could not generate a non-default value for ${f.name}`);
  }
}

/** Whether an encoder would leave this tagged value out as equal to the field's default. */
export function isDefault(f: FieldSchema, v: Value): boolean {
  const d = f.default;
  if (d === undefined) return false; // a struct is sent whenever it is set
  if (d === null) return v === null;
  if (Array.isArray(d) || Buffer.isBuffer(d))
    return (Array.isArray(v) || Buffer.isBuffer(v)) && v.length === 0;
  return v === d;
}

/** Number of (message, version) pairs, for reports. */
export function versionCount(schemas: readonly MessageSchema[]): number {
  return schemas.reduce((n, s) => n + s.validVersions[1] - s.validVersions[0] + 1, 0);
}
