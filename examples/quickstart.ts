// The service of docs/sdk.md: a checkout service that publishes its metrics, logs and events.
// Run against a bus (the topics <prefix>.metrics, .logs and .events must exist, or the bus auto-creates them):
//
//   npm exec -- node examples/quickstart.ts 127.0.0.1:9092 [topic-prefix]
//
// test/integration/sdk-quickstart.test.ts runs it against the embedded broker (and Apache Kafka).
import { createTelemetry, type DrainReport } from '../src/sdk/index.ts';

export async function runQuickstart(bootstrap: string[], prefix = 'telemetry'): Promise<DrainReport> {
  const telemetry = await createTelemetry({
    service: 'checkout',
    bus: { bootstrap },
    streams: {
      metrics: { topic: `${prefix}.metrics` },
      logs: { topic: `${prefix}.logs` },
      events: { topic: `${prefix}.events` },
    },
  });

  // On the request path: none of these waits for the bus or throws because of it.
  telemetry.metrics.counter('http.server.requests', 1, { route: '/cart', code: 200 });
  telemetry.metrics.histogram('http.server.duration', 12.5, { route: '/cart' }, { unit: 'ms' });
  telemetry.metrics.gauge('db.pool.in_use', 3);
  telemetry.logs.info('order placed', { orderId: 'o-17', items: 2 });
  telemetry.events.emit('order.placed', { orderId: 'o-17', total: 42.5 }, { key: 'o-17' });

  // On shutdown: export the last metrics and drain the buffers, for at most 5 s.
  return telemetry.close(5000);
}

if (import.meta.main) {
  const [bootstrap = '127.0.0.1:9092', prefix] = process.argv.slice(2);
  const report = await runQuickstart(bootstrap.split(','), prefix);
  process.stdout.write(`${JSON.stringify(report)}\n`); // per stream: drained, or what was left behind
}
