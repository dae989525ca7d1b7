// Transactions with kcat (librdkafka 2.0.2) on whichever target the environment names: kcat's transactional
// producer (-X transactional.id: one transaction per run, committed at the end) and its consumer at both
// isolation levels, next to a transaction kafkajs aborts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { runKcat } from '../helpers/kcat.ts';
import { startTarget, uniqueTopic, type Target } from '../helpers/target.ts';

let target: Target;
before(async () => {
  target = await startTarget();
});
after(() => target?.stop());

async function kcat(args: string[], input = ''): Promise<string> {
  return (await runKcat(['-b', target.bootstrap, ...args], { input })).stdout;
}

test('kcat transactional produce; read_committed consumers skip an aborted transaction, read_uncommitted see it', async (t) => {
  const topic = uniqueTopic('txn-kcat');
  await target.createTopic(topic, 1);
  await kcat(['-P', '-t', topic, '-X', `transactional.id=${uniqueTopic('kcat')}`], 'k1\nk2\n');

  const producer = new Kafka({
    clientId: 'txn-kcat',
    brokers: target.bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 12 },
  }).producer({ transactionalId: uniqueTopic('kafkajs'), idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  t.after(() => producer.disconnect());
  const aborted = await producer.transaction();
  await aborted.send({ topic, messages: [{ value: 'x1' }, { value: 'x2' }] });
  await aborted.abort();

  await kcat(['-P', '-t', topic, '-X', `transactional.id=${uniqueTopic('kcat')}`], 'k3\n');
  const consume = (isolation: string) =>
    kcat(['-C', '-t', topic, '-o', 'beginning', '-e', '-X', `isolation.level=${isolation}`]);
  assert.equal(await consume('read_committed'), 'k1\nk2\nk3\n');
  assert.equal(await consume('read_uncommitted'), 'k1\nk2\nx1\nx2\nk3\n');
});
