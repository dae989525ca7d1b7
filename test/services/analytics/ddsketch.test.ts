import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DDSketch } from '../../../src/services/analytics/ddsketch.ts';
import { prng, seedFrom } from '../../helpers/prng.ts';

const SEED = seedFrom('SLUICE_SKETCH_SEED');
const QUANTILES = Array.from({ length: 101 }, (_, i) => i / 100).concat([0.999]);

/** The exact q-quantile the sketch promises to approximate: the element of rank floor(q·(n−1)). */
function exact(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

/** Every quantile of `values` within α·|x| (plus float rounding) of the exact one. */
function assertAccurate(values: number[], alpha: number, what: string): void {
  const sketch = new DDSketch(alpha);
  for (const v of values) sketch.add(v);
  const sorted = [...values].sort((a, b) => a - b);
  for (const q of QUANTILES) {
    const want = exact(sorted, q);
    const got = sketch.quantile(q)!;
    const bound = alpha * Math.abs(want) * (1 + 1e-9) + 1e-9;
    assert.ok(
      Math.abs(got - want) <= bound,
      `${what} (seed ${SEED}): q=${q} got ${got}, exact ${want}, off by ${Math.abs(got - want)} > ${bound}`,
    );
  }
  assert.equal(sketch.count, values.length);
}

test('quantiles are within the relative accuracy on known distributions', () => {
  const random = prng(SEED);
  const n = 20_000;
  const uniform = Array.from({ length: n }, () => 1 + random.next() * 999);
  const exponential = Array.from({ length: n }, () => -Math.log(1 - random.next()) * 50);
  // Log-normal with a wide spread: values from ~1e-3 to ~1e5, where a relative guarantee matters.
  const logNormal = Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
    return Math.exp(2 + 2.5 * z);
  });
  const mixedSign = Array.from({ length: n }, () => (random.next() - 0.5) * 2000);
  const integers = Array.from({ length: n }, (_, i) => (i % 100) + 1);
  for (const alpha of [0.01, 0.05]) {
    assertAccurate(uniform, alpha, `uniform α=${alpha}`);
    assertAccurate(exponential, alpha, `exponential α=${alpha}`);
    assertAccurate(logNormal, alpha, `log-normal α=${alpha}`);
    assertAccurate(mixedSign, alpha, `mixed sign α=${alpha}`);
    assertAccurate(integers, alpha, `integers α=${alpha}`);
  }
});

test('zero and values below the indexable minimum count as zero; add(x, n) is n adds', () => {
  const s = new DDSketch(0.01);
  s.add(0, 3);
  s.add(1e-12);
  s.add(-5);
  s.add(7, 2);
  assert.equal(s.count, 7);
  assert.ok(Math.abs(s.quantile(0)! + 5) <= 0.05);
  assert.equal(s.quantile(0.5), 0);
  assert.ok(Math.abs(s.quantile(1)! - 7) <= 0.07);
  assert.equal(new DDSketch().quantile(0.5), undefined);
});

test('merging sketches equals sketching the union: same quantiles, same bytes', () => {
  const random = prng(SEED + 1);
  const values = Array.from({ length: 5000 }, () => (random.next() - 0.2) * 300);
  const whole = new DDSketch(0.01);
  const parts = [new DDSketch(0.01), new DDSketch(0.01), new DDSketch(0.01)];
  values.forEach((v, i) => {
    whole.add(v);
    parts[i % 3].add(v);
  });
  const merged = new DDSketch(0.01);
  for (const p of parts) merged.merge(p);
  assert.deepEqual(merged.encode(), whole.encode());
  for (const q of QUANTILES) assert.equal(merged.quantile(q), whole.quantile(q));
});

test('a sketch of another accuracy merges within the coarser accuracy', () => {
  const fine = new DDSketch(0.005);
  const coarse = new DDSketch(0.02);
  for (let v = 1; v <= 1000; v++) (v % 2 ? fine : coarse).add(v);
  coarse.merge(fine);
  assert.equal(coarse.count, 1000);
  const p90 = coarse.quantile(0.9)!;
  assert.ok(Math.abs(p90 - 900) <= 900 * (0.02 + 0.005 + 0.0002), `p90 ${p90}`);
});

test('encode/decode round-trips, compactly; a corrupt sketch is refused with what is wrong', () => {
  const random = prng(SEED + 2);
  const s = new DDSketch(0.01);
  for (let i = 0; i < 10_000; i++) s.add((random.next() - 0.1) * 1e6, random.int(1, 3));
  s.add(0, 4);
  const bytes = s.encode();
  const back = DDSketch.decode(bytes);
  assert.equal(back.count, s.count);
  assert.equal(back.alpha, s.alpha);
  assert.deepEqual(back.encode(), bytes);
  for (const q of QUANTILES) assert.equal(back.quantile(q), s.quantile(q));
  // ~2 bytes per non-empty bucket (index delta, count) rather than 8-byte doubles per value.
  assert.ok(bytes.length < 4 * 2000, `${bytes.length} bytes`);

  assert.throws(() => DDSketch.decode(Buffer.from([9, 1, 2])), /not a sketch of format 1/);
  assert.throws(() => DDSketch.decode(bytes.subarray(0, bytes.length - 1)), /truncated/);
  assert.throws(() => DDSketch.decode(Buffer.concat([bytes, Buffer.from([0])])), /1 trailing bytes/);
  assert.throws(() => new DDSketch(0), /relative accuracy must be in \(0, 1\)/);
  assert.throws(() => s.add(Number.NaN), /finite/);
  assert.throws(() => s.add(1, 1.5), /non-negative integer/);
});
