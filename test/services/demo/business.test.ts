import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { EventEnvelope } from '../../../src/sdk/index.ts';
import { startTestBroker } from '../../helpers/broker.ts';
import { createTopicOn } from '../../helpers/target.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { counterSum, demoTopology, details, readEnvelopes, start, type ReadRecord } from './demo-topology.ts';

interface BusinessDetails {
  operations: number;
  emitted: Record<string, number>;
  outcomes: { accepted: number; dropped: number; blocked: number };
}

/** Runs `kind` for `operations` operations on a fresh bus; returns its final details and what arrived. */
async function run(t: TestContext, kind: string, operations: number) {
  const broker = await startTestBroker(t);
  const setup = await demoTopology(
    t,
    broker.bootstrap,
    { [kind]: { kind, rate: 400, seed: 42, exportIntervalMs: 200 } },
    (topic, partitions) => createTopicOn(broker.bootstrap, topic, partitions),
  );
  const running = await start(t, setup, kind);
  await waitFor(async () => (await details<BusinessDetails>(running)).operations >= operations, {
    what: `${kind} to run ${operations} operations`,
  });
  await running.stop();
  const last = await details<BusinessDetails>(running);
  const read = (stream: 'metrics' | 'logs' | 'events') =>
    readEnvelopes(broker.bootstrap, setup.topics[stream]);
  return { last, events: await read('events'), metrics: await read('metrics'), logs: await read('logs') };
}

/** Each entity's event types in the order it was published (one key lives on one partition). */
function historyByKey(events: ReadRecord[]): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  const sorted = [...events].sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
  for (const { key, envelope } of sorted) {
    const data = (envelope as EventEnvelope).data;
    assert.equal(key, data.key);
    byKey.set(key, [...(byKey.get(key) ?? []), data.type]);
  }
  return byKey;
}

function countByType(events: ReadRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { envelope } of events) {
    const { type } = (envelope as EventEnvelope).data;
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

test('payments publishes every kind of payment event, keyed by payment id, in each payment’s order', async (t) => {
  const { last, events, metrics, logs } = await run(t, 'payments', 300);
  assert.deepEqual(countByType(events), last.emitted);
  assert.deepEqual(Object.keys(last.emitted).sort(), [
    'payment.authorized',
    'payment.captured',
    'payment.failed',
    'refund.issued',
  ]);
  assert.equal(last.outcomes.dropped, 0);
  const lifecycle = [
    /^payment\.failed$/,
    /^payment\.authorized$/,
    /^payment\.authorized,payment\.failed$/,
    /^payment\.authorized,payment\.captured(,refund\.issued)?$/,
  ];
  for (const [key, history] of historyByKey(events)) {
    assert.match(key, /^pay-/);
    assert.ok(
      lifecycle.some((re) => re.test(history.join(','))),
      `${key}: ${history.join(' → ')}`,
    );
  }
  for (const { envelope } of events) {
    const { payload, key } = (envelope as EventEnvelope).data;
    assert.equal((payload as { paymentId: string }).paymentId, key);
  }
  const total = Object.values(last.emitted).reduce((a, b) => a + b, 0);
  assert.equal(counterSum(metrics, 'payments.events'), total);
  assert.equal(counterSum(metrics, 'payments.failures'), last.emitted['payment.failed']);
  const warnings = logs.filter(({ envelope }) => envelope.kind === 'log' && envelope.data.level === 'warn');
  assert.equal(warnings.length, last.emitted['payment.failed']);
});

test('accounts publishes account and login events keyed by account id, opened first and closed last', async (t) => {
  const { last, events, metrics, logs } = await run(t, 'accounts', 400);
  assert.deepEqual(countByType(events), last.emitted);
  assert.deepEqual(Object.keys(last.emitted).sort(), [
    'account.closed',
    'account.opened',
    'account.updated',
    'login.failed',
    'login.succeeded',
  ]);
  for (const [key, history] of historyByKey(events)) {
    assert.match(key, /^acct-/);
    assert.equal(history[0], 'account.opened', `${key}: ${history.join(' → ')}`);
    assert.equal(history.filter((type) => type === 'account.opened').length, 1);
    const closed = history.indexOf('account.closed');
    assert.ok(closed === -1 || closed === history.length - 1, `${key}: ${history.join(' → ')}`);
  }
  const logins = (last.emitted['login.failed'] ?? 0) + (last.emitted['login.succeeded'] ?? 0);
  assert.equal(counterSum(metrics, 'accounts.logins'), logins);
  assert.equal(counterSum(metrics, 'accounts.logins', { outcome: 'failure' }), last.emitted['login.failed']);
  const level = (name: string) =>
    logs.filter(({ envelope }) => envelope.kind === 'log' && envelope.data.level === name).length;
  assert.equal(level('warn'), last.emitted['login.failed']);
  assert.equal(level('info'), last.emitted['account.closed']);
});
