// A bus of kind kafka under `sluice up` (on both targets: the embedded broker, or Apache Kafka with
// SLUICE_TEST_TARGET=kafka): not started, not stopped, but its streams' topics are created on it with
// their partitions, next to an embedded bus that `sluice up` does run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { entry, startSluiceUp, status } from '../helpers/sluice-up.ts';
import { startTarget, uniqueTopic } from '../helpers/target.ts';

test('sluice up creates the topics on a kafka bus and runs only the embedded one', async (t) => {
  const target = await startTarget();
  t.after(() => target.stop());
  const topic = uniqueTopic('up-kafka-metrics');
  const up = await startSluiceUp(
    t,
    `buses:
  metrics: { kind: kafka, bootstrap: [${target.bootstrap.split(',').join(', ')}] }
  logs: { kind: embedded, durability: none }
streams:
  metrics: { bus: metrics, topic: ${topic}, partitions: 2 }
  logs: { bus: logs, topic: up.logs, partitions: 1 }
`,
  );
  const report = await status(up.dataDir);
  assert.deepEqual(
    report.components.map((c) => c.name),
    ['logs'],
  );
  assert.equal(entry(report, 'logs').state, 'running');

  const admin = new Kafka({ brokers: target.bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    assert.equal(meta.topics[0]?.partitions.length, 2);

    up.child.kill('SIGINT');
    assert.equal(await up.exited, 0, up.output());
    // The kafka bus is someone else's: still there after sluice up stopped.
    const after = await admin.fetchTopicMetadata({ topics: [topic] });
    assert.equal(after.topics[0]?.partitions.length, 2);
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
});
