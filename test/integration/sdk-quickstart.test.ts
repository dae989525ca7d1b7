// docs/sdk.md's example (examples/quickstart.ts) run for real against the test target: what it emits
// arrives as valid v1 envelopes, keyed by series / producer / entity, with gap-free sequences per stream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runQuickstart } from '../../examples/quickstart.ts';
import { CONTENT_TYPE, decodeEnvelope, type Envelope } from '../../src/sdk/telemetry/envelope.ts';
import { GapDetector } from '../../src/sdk/telemetry/gaps.ts';
import { startTarget, uniqueTopic } from '../helpers/target.ts';
import { readPartition, type StoredRecord } from './read-back.ts';

test('the quickstart publishes its metrics, logs and events through the real publisher', async (t) => {
  const target = await startTarget();
  t.after(() => target.stop());
  const prefix = uniqueTopic('quickstart');
  for (const stream of ['metrics', 'logs', 'events']) await target.createTopic(`${prefix}.${stream}`, 1);

  const report = await runQuickstart([target.bootstrap], prefix);
  const drained = { status: 'drained', bufferedRecords: 0 };
  assert.deepEqual(report, { metrics: drained, logs: drained, events: drained });

  const read = async (stream: string): Promise<Array<{ record: StoredRecord; envelope: Envelope }>> =>
    (await readPartition(target.bootstrap, `${prefix}.${stream}`)).map((record) => ({
      record,
      envelope: decodeEnvelope(record.value),
    }));
  const metrics = await read('metrics');
  const logs = await read('logs');
  const events = await read('events');

  assert.deepEqual(metrics.map(({ record }) => record.key).sort(), [
    'db.pool.in_use',
    'http.server.duration{route="/cart"}',
    'http.server.requests{code=200,route="/cart"}',
  ]);
  const requests = metrics.find(
    ({ envelope }) => envelope.kind === 'metric' && envelope.data.name === 'http.server.requests',
  );
  assert.equal(
    requests?.envelope.kind === 'metric' &&
      requests.envelope.data.type === 'sum' &&
      requests.envelope.data.value,
    1,
  );
  assert.equal(logs.length, 1);
  assert.deepEqual(logs[0].envelope.data, {
    level: 'info',
    message: 'order placed',
    fields: { orderId: 'o-17', items: 2 },
  });
  assert.equal(logs[0].record.key, logs[0].envelope.producer);
  assert.equal(events.length, 1);
  assert.equal(events[0].record.key, 'o-17');
  assert.deepEqual(events[0].envelope.data, {
    type: 'order.placed',
    key: 'o-17',
    payload: { orderId: 'o-17', total: 42.5 },
  });

  const detector = new GapDetector();
  for (const { record, envelope } of [...metrics, ...logs, ...events]) {
    assert.equal(envelope.service, 'checkout');
    assert.ok(record.headers.includes(`content-type=${CONTENT_TYPE}`), record.headers.join(' '));
    assert.ok(record.headers.includes(`sluice-seq=${envelope.seq}`));
    assert.ok(record.headers.includes(`sluice-producer=${envelope.producer}`));
    assert.deepEqual(detector.observe(envelope.producer, envelope.stream, envelope.seq), {
      status: 'in-order',
    });
  }
  assert.equal(detector.missingCount, 0);
});
