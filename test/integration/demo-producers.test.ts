// The demo producers on the test target (the embedded broker, or Apache Kafka with SLUICE_TEST_TARGET=kafka):
// a front end and the payments service started as `sluice service` starts them, their records decoded
// from the topics with the right keys and the counts their /status reports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seriesKey, type EventEnvelope } from '../../src/sdk/index.ts';
import { startTarget } from '../helpers/target.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { counterSum, demoTopology, details, readEnvelopes, start } from '../services/demo/demo-topology.ts';

test('a front end and the payments service publish decodable, correctly keyed records to the bus', async (t) => {
  const target = await startTarget();
  t.after(() => target.stop());
  const setup = await demoTopology(
    t,
    target.bootstrap,
    {
      'frontend-b': { kind: 'frontend', rate: 60, errorRate: 0.1, seed: 11, exportIntervalMs: 250 },
      payments: { kind: 'payments', rate: 100, seed: 12, exportIntervalMs: 250 },
    },
    (topic, partitions) => target.createTopic(topic, partitions),
  );
  const frontend = await start(t, setup, 'frontend-b');
  const payments = await start(t, setup, 'payments');
  await waitFor(
    async () =>
      (await details<{ served: number }>(frontend)).served >= 50 &&
      (await details<{ operations: number }>(payments)).operations >= 100,
    { what: '50 requests served and 100 payment operations' },
  );
  await Promise.all([frontend.stop(), payments.stop()]);
  const served = (await details<{ served: number }>(frontend)).served;
  const emitted = (await details<{ emitted: Record<string, number> }>(payments)).emitted;

  const metrics = await readEnvelopes(target.bootstrap, setup.topics.metrics);
  const logs = await readEnvelopes(target.bootstrap, setup.topics.logs);
  const events = await readEnvelopes(target.bootstrap, setup.topics.events);
  assert.equal(counterSum(metrics, 'http.server.requests'), served);
  assert.equal(
    counterSum(metrics, 'payments.events'),
    Object.values(emitted).reduce((a, b) => a + b, 0),
  );
  for (const { key, envelope } of metrics) {
    assert.equal(envelope.kind, 'metric');
    if (envelope.kind === 'metric')
      assert.equal(key, seriesKey(envelope.data.name, envelope.data.attributes));
  }
  for (const { key, envelope } of logs) {
    assert.equal(envelope.kind, 'log');
    assert.equal(key, envelope.producer);
  }
  const byType: Record<string, number> = {};
  for (const { key, envelope } of events) {
    assert.equal(envelope.service, 'payments');
    const data = (envelope as EventEnvelope).data;
    assert.equal(key, (data.payload as { paymentId: string }).paymentId);
    byType[data.type] = (byType[data.type] ?? 0) + 1;
  }
  assert.deepEqual(byType, emitted);
});
