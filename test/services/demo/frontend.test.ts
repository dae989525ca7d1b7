import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestBroker } from '../../helpers/broker.ts';
import { createTopicOn } from '../../helpers/target.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { counterSum, demoTopology, details, readEnvelopes, start } from './demo-topology.ts';

interface FrontendDetails {
  appPort: number;
  served: number;
  errors: number;
  slow: number;
  load: { sent: number; responses: Record<string, number>; failed: number; inFlight: number };
  byRoute: Record<string, Record<string, number>>;
}

test('a front end serves real HTTP requests under its own load and publishes what it measured', async (t) => {
  const broker = await startTestBroker(t);
  const setup = await demoTopology(
    t,
    broker.bootstrap,
    { 'frontend-a': { kind: 'frontend', rate: 80, errorRate: 0.2, seed: 7, exportIntervalMs: 200 } },
    (topic, partitions) => createTopicOn(broker.bootstrap, topic, partitions),
  );
  const running = await start(t, setup, 'frontend-a');
  const first = await waitFor(
    async () => {
      const d = await details<FrontendDetails>(running);
      return d.served >= 60 && d.errors > 0 ? d : undefined;
    },
    { what: 'the front end to serve 60 requests, some of them failed' },
  );

  // The application answers on its own port and under /api/ on the component's port.
  const app = `http://127.0.0.1:${first.appPort}`;
  const cart = await fetch(`${app}/api/cart`);
  assert.ok(cart.status === 200 || cart.status === 500, `GET /api/cart answered ${cart.status}`);
  assert.equal(cart.headers.get('content-type'), 'application/json');
  assert.equal((await fetch(`${app}/api/nope`)).status, 404);
  assert.equal((await fetch(`${app}/api/checkout`)).status, 405);
  const product = await fetch(`http://127.0.0.1:${running.httpPort}/api/products/p-9`);
  if (product.status === 200) assert.equal(((await product.json()) as { id: string }).id, 'p-9');
  else assert.equal(product.status, 500);

  await running.stop();
  const last = await details<FrontendDetails>(running);
  // Every request the generator sent got its answer, and the server counted each one it answered.
  assert.equal(last.load.inFlight, 0);
  assert.equal(last.load.failed, 0);
  const answered = Object.values(last.load.responses).reduce((a, b) => a + b, 0);
  assert.equal(answered, last.load.sent);
  assert.equal(last.served, last.load.sent + 4);
  const direct500 = [cart, product].filter((r) => r.status === 500).length;
  assert.equal(last.errors, (last.load.responses['500'] ?? 0) + direct500);

  const metrics = await readEnvelopes(broker.bootstrap, setup.topics.metrics);
  assert.equal(counterSum(metrics, 'http.server.requests'), last.served);
  assert.equal(counterSum(metrics, 'http.server.requests', { code: 500 }), last.errors);
  assert.equal(counterSum(metrics, 'http.server.requests', { route: 'unmatched', code: 404 }), 1);
  assert.equal(counterSum(metrics, 'http.server.errors'), last.errors);
  let histogramCount = 0;
  for (const { key, envelope } of metrics) {
    assert.equal(envelope.service, 'frontend-a');
    if (envelope.kind !== 'metric') continue;
    if (envelope.data.name === 'http.server.duration' && envelope.data.type === 'histogram') {
      histogramCount += envelope.data.count;
      assert.equal(key, `http.server.duration{route=${JSON.stringify(envelope.data.attributes.route)}}`);
      assert.equal(envelope.data.unit, 'ms');
    }
  }
  assert.equal(histogramCount, last.served);
  for (const [route, codes] of Object.entries(last.byRoute)) {
    for (const [code, n] of Object.entries(codes)) {
      assert.equal(
        counterSum(metrics, 'http.server.requests', { route, code: Number(code) }),
        n,
        `${route} ${code}`,
      );
    }
  }

  const logs = await readEnvelopes(broker.bootstrap, setup.topics.logs);
  const errorLogs = logs.filter(({ envelope }) => envelope.kind === 'log' && envelope.data.level === 'error');
  const slowLogs = logs.filter(({ envelope }) => envelope.kind === 'log' && envelope.data.level === 'warn');
  assert.equal(errorLogs.length, last.errors);
  assert.equal(slowLogs.length, last.slow);
  for (const { key, envelope } of logs) assert.equal(key, envelope.producer);
  assert.deepEqual(await readEnvelopes(broker.bootstrap, setup.topics.events), []);
});
