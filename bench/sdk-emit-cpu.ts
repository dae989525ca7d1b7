// The publisher process's CPU per telemetry.events.emit() (issue 6), without a broker: the facade over a real
// Publisher (createTelemetry's defaults: idempotent, lingerMs 5, maxBatchBytes 512 KiB) whose bus takes
// each sealed batch at once. What is left is the caller's side: validation, the envelope, the record in
// its batch, sealing (CRC included). Same event as bench/sdk-throughput.ts's emit phase. The loop runs in
// chunks of 1000 calls, yielding to the event loop between them (acknowledgements come back there).
//
//   npm exec -- node bench/sdk-emit-cpu.ts [--seconds 3] [--rounds 3]
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { BusProducer } from '../src/sdk/kafka-client.ts';
import { Publisher } from '../src/sdk/publisher/publisher.ts';
import { resolveStreamOptions } from '../src/sdk/telemetry/create.ts';
import { openTelemetry } from '../src/sdk/telemetry/telemetry.ts';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
  },
});
const seconds = Number(flags.seconds);
const rounds = Number(flags.rounds);
if (!(seconds > 0) || !(rounds >= 1)) throw new Error('--seconds and --rounds must be positive');

/** A bus that acknowledges every batch at once: one partition, nothing sent anywhere. */
const sink = (): BusProducer => ({
  send: () => Promise.resolve(),
  sendBatch: () => Promise.resolve(),
  partitions: () => Promise.resolve(1),
  knownPartitions: () => 1,
  availablePartitions: () => [0],
  close: () => Promise.resolve(),
});

const options = resolveStreamOptions(
  {
    service: 'bench',
    bus: { bootstrap: ['127.0.0.1:1'] },
    logger: pino({ level: 'warn' }),
    metrics: new Registry(),
    streams: {
      events: { topic: 'bench', buffer: { kind: 'memory', maxBytes: 256 << 20, whenFull: 'block' } },
    },
  },
  'events',
);
const publisher = await Publisher.open({ ...options, transport: sink });
const telemetry = await openTelemetry({
  service: 'bench',
  streams: { events: options },
  openPublisher: () => Promise.resolve(publisher),
});
const { events } = telemetry;

function payload(i: number): { orderId: string; sku: string; qty: number; total: number; region: string } {
  return { orderId: `o-${i}`, sku: `SKU-${i % 977}`, qty: (i % 5) + 1, total: 42.5, region: 'eu-west-1' };
}

let calls = 0;
/** Emits for `ms`; returns calls made and CPU microseconds used (this process, every thread). */
async function run(ms: number): Promise<{ calls: number; cpuUs: number; wallMs: number }> {
  const first = calls;
  const cpu = process.cpuUsage();
  const start = performance.now();
  while (performance.now() < start + ms) {
    for (let i = 0; i < 1000; i++) {
      const r = events.emit('order.placed', payload(calls), { key: `o-${calls & 1023}` });
      calls++;
      if (r !== 'accepted') throw new Error(`emit answered ${r}`);
    }
    await yieldToLoop();
  }
  const used = process.cpuUsage(cpu);
  return { calls: calls - first, cpuUs: used.user + used.system, wallMs: performance.now() - start };
}

process.stdout.write(
  `command: npm exec -- node bench/sdk-emit-cpu.ts --seconds ${seconds} --rounds ${rounds}\n`,
);
await run(1000); // warm-up (JIT, the batch buffers)
const perEvent: number[] = [];
for (let r = 0; r < rounds; r++) {
  const { calls: n, cpuUs, wallMs } = await run(seconds * 1000);
  const ns = (cpuUs * 1000) / n;
  perEvent.push(ns);
  process.stdout.write(
    `round ${r + 1}: ${n.toLocaleString('en')} events, ${ns.toFixed(0)} ns CPU/event, ${((wallMs * 1e6) / n).toFixed(0)} ns wall/event\n`,
  );
}
perEvent.sort((a, b) => a - b);
process.stdout.write(`median ${perEvent[perEvent.length >> 1].toFixed(0)} ns CPU/event\n`);
await telemetry.close(5000);
