// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of Kafka record batch v2.
// node:zlib's crc32 is IEEE CRC-32 (a different polynomial), so it cannot be used here.
// The native @node-rs/crc32 (SIMD / SSE4.2) is used when it loads; otherwise a pure-JS
// slicing-by-8 implementation, which is correct everywhere and still fast enough for a broker
// that mostly checks batches once on produce and once on log recovery.
import { createRequire } from 'node:module';

const POLY = 0x82f63b78;

// 8 tables of 256 entries: TABLES[k * 256 + b] is the CRC of byte b followed by k zero bytes.
const TABLES = new Int32Array(8 * 256);
for (let b = 0; b < 256; b++) {
  let c = b;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLES[b] = c;
}
for (let b = 0; b < 256; b++) {
  let c = TABLES[b];
  for (let k = 1; k < 8; k++) {
    c = TABLES[c & 0xff] ^ (c >>> 8);
    TABLES[k * 256 + b] = c;
  }
}

/**
 * Pure-JS CRC-32C. `initial` is the CRC of the preceding bytes (0 for none), so
 * `crc32cJs(b, crc32cJs(a)) === crc32cJs(concat(a, b))`. Returns an unsigned 32-bit number.
 */
export function crc32cJs(data: Uint8Array, initial = 0): number {
  const t = TABLES;
  let crc = ~initial | 0;
  let i = 0;
  const len = data.length;
  const end8 = len - (len % 8);
  for (; i < end8; i += 8) {
    const lo = crc ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    crc =
      t[7 * 256 + (lo & 0xff)] ^
      t[6 * 256 + ((lo >>> 8) & 0xff)] ^
      t[5 * 256 + ((lo >>> 16) & 0xff)] ^
      t[4 * 256 + (lo >>> 24)] ^
      t[3 * 256 + data[i + 4]] ^
      t[2 * 256 + data[i + 5]] ^
      t[256 + data[i + 6]] ^
      t[data[i + 7]];
  }
  for (; i < len; i++) crc = t[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

type NativeCrc = (input: Uint8Array, initialState?: number) => number;

function loadNative(): NativeCrc | undefined {
  // SLUICE_CRC32C=js forces the JS path (tests, debugging a suspected native problem).
  if (process.env.SLUICE_CRC32C === 'js') return undefined;
  try {
    const mod = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: unknown };
    if (typeof mod.crc32c !== 'function') return undefined;
    const fn = mod.crc32c as NativeCrc;
    // Guard against a broken or different build: it must give the standard check value.
    if (fn(new TextEncoder().encode('123456789'), 0) >>> 0 !== 0xe3069283) return undefined;
    return fn;
  } catch {
    // Optional dependency absent or no prebuilt binary for this platform: use the JS path.
    return undefined;
  }
}

const native = loadNative();

/** Which implementation `crc32c` uses in this process. */
export const crc32cImplementation: 'native' | 'js' = native ? 'native' : 'js';

/** CRC-32C of `data`, continuing from `initial` (the CRC of the preceding bytes). Unsigned 32-bit. */
export function crc32c(data: Uint8Array, initial = 0): number {
  return native ? native(data, initial) >>> 0 : crc32cJs(data, initial);
}
