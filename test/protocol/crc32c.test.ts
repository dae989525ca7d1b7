import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { crc32c, crc32cJs, crc32cImplementation } from '../../src/protocol/crc32c.ts';

const impls = { crc32c, crc32cJs };

// Known answers: the standard check value and RFC 3720 (iSCSI) appendix B.4.
const vectors: [string, Uint8Array, number][] = [
  ['"123456789"', new TextEncoder().encode('123456789'), 0xe3069283],
  ['empty', new Uint8Array(0), 0],
  ['32 zero bytes', new Uint8Array(32), 0x8a9136aa],
  ['32 0xFF bytes', new Uint8Array(32).fill(0xff), 0x62a8ab43],
  ['0..31 ascending', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
  ['31..0 descending', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
];

for (const [implName, fn] of Object.entries(impls)) {
  for (const [name, data, expected] of vectors) {
    test(`${implName}: ${name} -> 0x${expected.toString(16)}`, () => {
      assert.equal(fn(data), expected);
    });
  }
}

test('native @node-rs/crc32 is loaded on this machine', () => {
  // It is an optional dependency; on a platform without a prebuilt binary this would be 'js'.
  assert.equal(crc32cImplementation, 'native');
});

test('results are unsigned 32-bit numbers', () => {
  for (let i = 0; i < 50; i++) {
    const b = randomBytes(i * 7);
    for (const fn of Object.values(impls)) {
      const c = fn(b);
      assert.ok(Number.isInteger(c) && c >= 0 && c <= 0xffffffff);
    }
  }
});

test('native and JS agree on random buffers of many lengths', () => {
  for (let len = 0; len <= 300; len++) {
    const b = randomBytes(len);
    assert.equal(crc32c(b), crc32cJs(b), `length ${len}`);
  }
  for (const len of [1023, 4096, 65_537, 1_000_003]) {
    const b = randomBytes(len);
    assert.equal(crc32c(b), crc32cJs(b), `length ${len}`);
  }
});

test('works on subarrays at unaligned offsets', () => {
  const b = randomBytes(1000);
  for (let off = 0; off < 9; off++) {
    const sub = b.subarray(off, 500 + off);
    assert.equal(crc32cJs(sub), crc32c(Buffer.from(sub)));
    assert.equal(crc32c(sub), crc32cJs(Buffer.from(sub)));
  }
});

test('incremental with a non-zero initial value equals one-shot', () => {
  for (let i = 0; i < 200; i++) {
    const b = randomBytes(1 + Math.floor(Math.random() * 2000));
    const cut = Math.floor(Math.random() * (b.length + 1));
    const whole = crc32cJs(b);
    const head = crc32cJs(b.subarray(0, cut));
    assert.equal(crc32cJs(b.subarray(cut), head), whole);
    assert.equal(crc32c(b.subarray(cut), crc32c(b.subarray(0, cut))), whole);
    // Initial values produced by one implementation are accepted by the other.
    assert.equal(crc32c(b.subarray(cut), head), whole);
  }
});

test('SLUICE_CRC32C=js forces the JS implementation', () => {
  const url = new URL('../../src/protocol/crc32c.ts', import.meta.url).href;
  const code = `const m = await import(${JSON.stringify(url)}); console.log(m.crc32cImplementation, m.crc32c(new TextEncoder().encode('123456789')).toString(16));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, SLUICE_CRC32C: 'js' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'js e3069283');
});
