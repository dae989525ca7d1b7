// Hot-path cost of the telemetry API on the caller's thread: what a service pays per metrics.counter()
// call (the target: <= 200 ns/op). The metrics hot path only validates and accumulates in memory,
// so the publisher behind it is a no-op here; export happens on its own timer, off the measured path.
//
//   npm exec -- node bench/sdk-hot-path.ts [--seconds 2]
import { openTelemetry } from '../src/sdk/telemetry/telemetry.ts';
import type { TelemetryPublisher } from '../src/sdk/telemetry/publisher-port.ts';

const secondsArg = process.argv.indexOf('--seconds');
const seconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 2;
if (!(seconds > 0)) throw new Error('--seconds must be a positive number');

const nullPublisher: TelemetryPublisher = {
  publish: () => 'accepted',
  flush: () => Promise.resolve(),
  close: () => Promise.resolve(),
};
const telemetry = await openTelemetry({
  service: 'bench',
  streams: { metrics: {}, logs: {} },
  openPublisher: () => Promise.resolve(nullPublisher),
  exportIntervalMs: 1000,
});
const { metrics, logs } = telemetry;

/** Runs fn in chunks of 1000 calls until `seconds` pass; returns ns per call. */
function measure(name: string, fn: (i: number) => void): number {
  for (let i = 0; i < 200_000; i++) fn(i); // warm up (JIT)
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < end) {
    for (let i = 0; i < 1000; i++) fn(n + i);
    n += 1000;
    now = process.hrtime.bigint();
  }
  const ns = Number(now - start) / n;
  process.stdout.write(
    `${name.padEnd(64)} ${ns.toFixed(1).padStart(8)} ns/op  (${n.toLocaleString('en')} calls)\n`,
  );
  return ns;
}

const routes = ['/', '/cart', '/checkout', '/login'];
const shared = { route: '/cart', method: 'GET' };
process.stdout.write(`command: npm exec -- node bench/sdk-hot-path.ts --seconds ${seconds}\n`);
process.stdout.write(`node ${process.version}, ${seconds} s per case\n`);
const headline = measure('counter(name, 1, { route, method }) fresh literal, 4 series', (i) =>
  metrics.counter('http.requests', 1, { route: routes[i & 3], method: 'GET' }),
);
measure('counter(name, 1) no attributes', () => metrics.counter('jobs.done', 1));
measure('counter(name, 1, attrs) same object each call', () => metrics.counter('http.requests', 1, shared));
measure('gauge(name, v, { pool })', (i) => metrics.gauge('pool.size', i & 15, { pool: 'db' }));
measure('histogram(name, v, { route }) default 15 boundaries', (i) =>
  metrics.histogram('http.duration', i % 3000, { route: routes[i & 3] }),
);
measure('logs.info(message, { n }) incl. JSON envelope (null publisher)', (i) =>
  logs.info('request served', { n: i }),
);
await telemetry.close();
process.stdout.write(
  `\ncounter() hot path: ${headline.toFixed(1)} ns/op — target <= 200 ns/op: ${headline <= 200 ? 'met' : 'NOT met'}\n`,
);
