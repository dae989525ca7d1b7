// The snappy and LZ4 codecs of @platformatic/kafka (the client Sluice's SDK uses), loaded straight
// from @platformatic/wasm-utils' WebAssembly module, as an independent implementation to check ours
// against. Its own JS wrapper (0.2.1) keeps a Uint8Array view across calls that goes stale
// ("detached ArrayBuffer") once the wasm memory grows, so this wrapper makes fresh views per call.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface WasmExports {
  memory: { buffer: ArrayBuffer };
  alloc(len: number): number;
  dealloc(ptr: number, len: number): void;
  lz4_compress(ptr: number, len: number): bigint;
  lz4_decompress(ptr: number, len: number): bigint;
  snappy_compress(ptr: number, len: number): bigint;
  snappy_decompress(ptr: number, len: number): bigint;
  crc32c(ptr: number, len: number): number;
}

// The project's TypeScript lib (ES2023, no DOM) has no WebAssembly types; this is all we use of it.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const require = createRequire(import.meta.url);
const wasmPath = join(dirname(require.resolve('@platformatic/wasm-utils')), 'native.wasm');
const wasm = new Instance(new Module(readFileSync(wasmPath))).exports as WasmExports;

function call(fn: (ptr: number, len: number) => bigint, input: Uint8Array): Buffer {
  const len = Math.max(input.length, 1);
  const ptr = wasm.alloc(len);
  new Uint8Array(wasm.memory.buffer, ptr, input.length).set(input);
  const combined = fn(ptr, input.length);
  wasm.dealloc(ptr, len);
  const outLen = Number(BigInt.asUintN(32, combined));
  const outPtr = Number(combined >> 32n);
  const out = Buffer.from(new Uint8Array(wasm.memory.buffer, outPtr, outLen));
  wasm.dealloc(outPtr, outLen);
  return out;
}

export const platformatic = {
  lz4Compress: (b: Uint8Array): Buffer => call((p, n) => wasm.lz4_compress(p, n), b),
  lz4Decompress: (b: Uint8Array): Buffer => call((p, n) => wasm.lz4_decompress(p, n), b),
  snappyCompress: (b: Uint8Array): Buffer => call((p, n) => wasm.snappy_compress(p, n), b),
  snappyDecompress: (b: Uint8Array): Buffer => call((p, n) => wasm.snappy_decompress(p, n), b),
};
