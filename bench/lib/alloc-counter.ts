// A preload that counts the Buffers of 4 KiB or more this process allocates, by call site, and prints the
// totals to stderr at exit: what a benchmark's garbage is made of (peaks of RSS and "external" memory
// depend on when V8 happens to collect; this does not).
//
//   npm exec -- node --import ./bench/lib/alloc-counter.ts --expose-gc bench/sdk-throughput.ts --phases bounded
//
// Buffer.alloc, allocUnsafe, allocUnsafeSlow and concat are wrapped; the call site is the first stack
// frame outside this file and node's own modules. Allocations node makes internally (sockets, streams)
// do not go through these and are not counted.
const MIN_BYTES = 4096;
const sites = new Map<string, { calls: number; bytes: number }>();

function site(): string {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  for (const line of stack) {
    if (line.includes('alloc-counter') || line.includes('node:')) continue;
    return line
      .trim()
      .replace(/^at /, '')
      .replace(/\(file:\/\/.*\/(src|bench|node_modules)\//, '($1/');
  }
  return '(unknown)';
}

function count(bytes: number): void {
  if (bytes < MIN_BYTES) return;
  const key = site();
  const s = sites.get(key) ?? { calls: 0, bytes: 0 };
  s.calls++;
  s.bytes += bytes;
  sites.set(key, s);
}

type Alloc = (size: number, ...rest: unknown[]) => Buffer;
const buffers = Buffer as unknown as Record<string, Alloc>;
for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow']) {
  const original = buffers[name].bind(Buffer);
  buffers[name] = (size: number, ...rest: unknown[]): Buffer => {
    count(size);
    return original(size, ...rest);
  };
}
const concat = Buffer.concat.bind(Buffer);
Buffer.concat = (list, totalLength) => {
  const out = concat(list, totalLength);
  count(out.length);
  return out;
};

process.on('exit', () => {
  const MiB = 1024 * 1024;
  const rows = [...sites].sort((a, b) => b[1].bytes - a[1].bytes);
  const total = rows.reduce((sum, [, s]) => sum + s.bytes, 0);
  const lines = [`allocations >= ${MIN_BYTES} B by call site (total ${(total / MiB).toFixed(1)} MiB):`];
  for (const [where, s] of rows.slice(0, 15))
    lines.push(
      `  ${(s.bytes / MiB).toFixed(1).padStart(9)} MiB ${String(s.calls).padStart(7)} calls  ${where}`,
    );
  process.stderr.write(lines.join('\n') + '\n');
});
