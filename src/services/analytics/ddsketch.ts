// DDSketch (Masson, Rim, Lee, VLDB 2019): a quantile sketch with a RELATIVE accuracy guarantee that merges
// exactly. A value x > 0 goes to bucket i = ceil(log_γ x) with γ = (1 + α) / (1 − α); every value of bucket i
// lies in (γ^(i−1), γ^i], and the bucket's representative 2γ^i / (γ + 1) is within α·x of each of them. So
// the q-quantile this returns is within α·|x_q| of the exact value x_q = the element of rank ⌊q·(n − 1)⌋ of
// the sorted input. Negative values use a mirrored store; |x| below MIN_INDEXABLE counts as 0.
//
// Merging adds bucket counts (same α: exact; a different α: the other's representatives are re-bucketed).
// Memory is one counter per non-empty bucket: at α = 1 % the values from 1e-6 to 1e9 span ~1 800 buckets.

/** Values whose magnitude is below this count as zero (absolute error at most this). */
export const MIN_INDEXABLE = 1e-9;
const FORMAT_VERSION = 1;

export class DDSketch {
  readonly alpha: number;
  readonly #gamma: number;
  readonly #lnGamma: number;
  readonly #positive = new Map<number, number>();
  readonly #negative = new Map<number, number>();
  #zero = 0;
  #count = 0;

  constructor(alpha = 0.01) {
    if (!(alpha > 0 && alpha < 1)) throw new RangeError(`relative accuracy must be in (0, 1), got ${alpha}`);
    this.alpha = alpha;
    this.#gamma = (1 + alpha) / (1 - alpha);
    this.#lnGamma = Math.log(this.#gamma);
  }

  get count(): number {
    return this.#count;
  }

  /** Adds `value` `times` times (`times`: a non-negative integer). */
  add(value: number, times = 1): void {
    if (!Number.isFinite(value)) throw new RangeError(`sketch value must be finite, got ${value}`);
    if (!Number.isInteger(times) || times < 0)
      throw new RangeError(`sketch count must be a non-negative integer, got ${times}`);
    if (times === 0) return;
    this.#count += times;
    if (Math.abs(value) < MIN_INDEXABLE) this.#zero += times;
    else if (value > 0) bump(this.#positive, this.#index(value), times);
    else bump(this.#negative, this.#index(-value), times);
  }

  merge(other: DDSketch): void {
    if (other.alpha === this.alpha) {
      for (const [i, n] of other.#positive) bump(this.#positive, i, n);
      for (const [i, n] of other.#negative) bump(this.#negative, i, n);
      this.#zero += other.#zero;
      this.#count += other.#count;
      return;
    }
    for (const [i, n] of other.#positive) this.add(other.#value(i), n);
    for (const [i, n] of other.#negative) this.add(-other.#value(i), n);
    this.add(0, other.#zero);
  }

  /** The q-quantile (0 ≤ q ≤ 1), within α relative of the exact one; undefined when empty. */
  quantile(q: number): number | undefined {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
    if (this.#count === 0) return undefined;
    const rank = q * (this.#count - 1);
    let seen = 0;
    // Ascending order: most negative first (the highest index of the negative store), zero, then positive.
    for (const i of [...this.#negative.keys()].sort((a, b) => b - a)) {
      seen += this.#negative.get(i)!;
      if (seen > rank) return -this.#value(i);
    }
    seen += this.#zero;
    if (seen > rank) return 0;
    for (const i of [...this.#positive.keys()].sort((a, b) => a - b)) {
      seen += this.#positive.get(i)!;
      if (seen > rank) return this.#value(i);
    }
    return this.#value(Math.max(...this.#positive.keys())); // not reached: seen === count > rank
  }

  /**
   * Compact binary form: version, α (float64), zero count, then per store the bucket count and for each
   * bucket (ascending index) the zigzag varint delta to the previous index and the varint count.
   */
  encode(): Buffer {
    const out: number[] = [FORMAT_VERSION];
    const alpha = Buffer.alloc(8);
    alpha.writeDoubleLE(this.alpha);
    out.push(...alpha);
    writeVarint(out, this.#zero);
    for (const store of [this.#positive, this.#negative]) {
      const keys = [...store.keys()].sort((a, b) => a - b);
      writeVarint(out, keys.length);
      let previous = 0;
      for (const i of keys) {
        writeVarint(out, zigzag(i - previous));
        writeVarint(out, store.get(i)!);
        previous = i;
      }
    }
    return Buffer.from(out);
  }

  static decode(bytes: Uint8Array): DDSketch {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buf.length < 9 || buf[0] !== FORMAT_VERSION) {
      throw new Error(`not a sketch of format ${FORMAT_VERSION} (${buf.length} bytes, first byte ${buf[0]})`);
    }
    const sketch = new DDSketch(buf.readDoubleLE(1));
    const at = { pos: 9 };
    sketch.#zero = readVarint(buf, at);
    sketch.#count = sketch.#zero;
    for (const store of [sketch.#positive, sketch.#negative]) {
      const n = readVarint(buf, at);
      let index = 0;
      for (let k = 0; k < n; k++) {
        index += unzigzag(readVarint(buf, at));
        const count = readVarint(buf, at);
        store.set(index, count);
        sketch.#count += count;
      }
    }
    if (at.pos !== buf.length) throw new Error(`sketch has ${buf.length - at.pos} trailing bytes`);
    return sketch;
  }

  #index(magnitude: number): number {
    return Math.ceil(Math.log(magnitude) / this.#lnGamma);
  }

  #value(index: number): number {
    return (2 * this.#gamma ** index) / (this.#gamma + 1);
  }
}

function bump(store: Map<number, number>, index: number, times: number): void {
  store.set(index, (store.get(index) ?? 0) + times);
}

const zigzag = (n: number): number => (n >= 0 ? 2 * n : -2 * n - 1);
const unzigzag = (n: number): number => (n % 2 === 0 ? n / 2 : -(n + 1) / 2);

// Counts can exceed 2^32: arithmetic instead of bit operations keeps them exact up to 2^53.
function writeVarint(out: number[], n: number): void {
  let v = n;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function readVarint(buf: Buffer, at: { pos: number }): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (at.pos >= buf.length) throw new Error('sketch is truncated');
    const byte = buf[at.pos++];
    value += (byte % 128) * scale;
    if (byte < 128) return value;
    scale *= 128;
    if (scale > 2 ** 56) throw new Error('sketch varint is too long');
  }
}
