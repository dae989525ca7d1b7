// The consumer runner when the bus goes away, over fake bus consumers: a retriable BusError from run()
// closes the consumer and builds a new one after a capped exponential back-off (counted and logged); the
// new member resumes; a non-retriable error still stops the runner; stop() during a back-off ends it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { consume } from '../../../src/sdk/consumer/runner.ts';
import type { ConsumeOptions, ConsumerLogger } from '../../../src/sdk/consumer/types.ts';
import { BusError } from '../../../src/sdk/kafka-client.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { FakeBusConsumer, FakeSink, records, type Events, type FakeTx } from './fakes.ts';

const lost = () => new BusError('consuming t: connect ECONNREFUSED 127.0.0.1:1', { retriable: true });

function rig(extra: Partial<Omit<ConsumeOptions<FakeTx>, 'semantics' | 'handler' | 'sink'>> = {}) {
  const events: Events = [];
  const consumers: FakeBusConsumer[] = [];
  const sleeps: number[] = [];
  const warnings: string[] = [];
  const logger: ConsumerLogger = { info() {}, warn: (_o, msg) => warnings.push(msg), error() {} };
  const metrics = new Registry();
  const make = (): FakeBusConsumer => {
    const c = new FakeBusConsumer(events);
    consumers.push(c);
    events.push(`consumer ${consumers.length}`);
    return c;
  };
  const options = {
    bus: { bootstrap: ['127.0.0.1:1'] },
    topic: 't',
    group: 'g',
    retry: { attempts: 3, initialDelayMs: 100, maxDelayMs: 150 },
    metrics,
    logger,
    lagIntervalMs: 0,
    createConsumer: make,
    sleep: (ms: number) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...extra,
  };
  const reconnects = async () =>
    (await metrics.getSingleMetric('sluice_consumer_reconnects_total')!.get()).values.find(
      (v) => v.labels.group === 'g',
    )?.value ?? 0;
  return { events, consumers, sleeps, warnings, options, reconnects, make };
}

test('at-least-once: a lost bus is rebuilt with back-off until it answers; the new member goes on', async () => {
  const r = rig();
  const handled: string[] = [];
  const handle = await consume({
    ...r.options,
    semantics: 'at-least-once',
    handler: (rec) => {
      handled.push(`${rec.partition}@${rec.offset}`);
    },
  });
  const first = r.consumers[0];
  await first.assign([{ topic: 't', partition: 0 }]);
  await first.deliver(records(0, 0, 3));
  first.lose(lost());
  // The second consumer finds the bus still down; the third gets in.
  await waitFor(() => r.consumers.length === 2, { what: 'a second consumer' });
  r.consumers[1].lose(lost());
  await waitFor(() => r.consumers.length === 3, { what: 'a third consumer' });
  const third = r.consumers[2];
  await third.assign([{ topic: 't', partition: 0 }]);
  await third.deliver(records(0, 3, 5));
  assert.deepEqual(handled, ['0@0', '0@1', '0@2', '0@3', '0@4']);
  assert.deepEqual(r.sleeps, [100, 150], 'exponential back-off, capped at retry.maxDelayMs');
  assert.deepEqual(r.events, [
    'consumer 1',
    'commit 0@3',
    'close',
    'consumer 2',
    'close',
    'consumer 3',
    'commit 0@5',
  ]);
  assert.equal(await r.reconnects(), 2);
  assert.equal(r.warnings.filter((w) => w.startsWith('bus lost')).length, 2, 'each attempt logged');
  // After a successful join the back-off starts over.
  third.lose(lost());
  await waitFor(() => r.consumers.length === 4, { what: 'a fourth consumer' });
  assert.deepEqual(r.sleeps, [100, 150, 100]);
  await handle.stop();
  await handle.done;
  assert.equal(r.consumers[3].closed, true);
});

test('a retriable failure of the first run() (the bus down from the start) is retried too', async () => {
  const r = rig();
  const createConsumer = (): FakeBusConsumer => {
    const c = r.make();
    if (r.consumers.length === 1) c.failRun = lost();
    return c;
  };
  const handle = await consume({
    ...r.options,
    createConsumer,
    semantics: 'at-most-once',
    handler: () => {},
  });
  await waitFor(() => r.consumers.length === 2, { what: 'a second consumer' });
  await handle.stop();
  await handle.done;
});

test('a non-retriable bus error still stops the runner: done rejects, no new consumer', async () => {
  const r = rig();
  const handle = await consume({ ...r.options, semantics: 'at-least-once', handler: () => {} });
  r.consumers[0].lose(new BusError('joining group g: group authorization failed', { retriable: false }));
  await assert.rejects(handle.done, /authorization failed/);
  assert.equal(r.consumers.length, 1);
  assert.equal(r.consumers[0].closed, true);
  assert.equal(await r.reconnects(), 0);
});

test('stop() during a reconnect back-off ends it: no new consumer, done resolves', async () => {
  // The real abortable sleep with a long back-off: only stop() can end it early.
  const r = rig({ retry: { initialDelayMs: 600_000, maxDelayMs: 600_000 } });
  const { sleep: _fake, ...options } = r.options;
  const handle = await consume({ ...options, semantics: 'at-least-once', handler: () => {} });
  r.consumers[0].lose(lost());
  await waitFor(() => r.warnings.some((w) => w.startsWith('bus lost')), { what: 'the reconnect' });
  await handle.stop();
  await handle.done;
  assert.equal(r.consumers.length, 1);
});

test('effectively-once: the rebuilt consumer resumes from the offsets the sink holds', async () => {
  const r = rig();
  const sink = new FakeSink(r.events);
  const handle = await consume<FakeTx>({
    ...r.options,
    semantics: 'effectively-once',
    sink,
    handler: (rec, ctx) => ctx.tx.write(rec.value!.toString()),
  });
  await r.consumers[0].assign([{ topic: 't', partition: 0 }]);
  await r.consumers[0].deliver(records(0, 0, 2));
  r.consumers[0].lose(lost());
  await waitFor(() => r.consumers.length === 2, { what: 'a second consumer' });
  const seek = await r.consumers[1].assign([{ topic: 't', partition: 0 }]);
  assert.deepEqual(seek, [{ topic: 't', partition: 0, offset: 2n }]);
  await r.consumers[1].deliver(records(0, 1, 3)); // 0@1 fetched again: skipped
  assert.deepEqual(sink.rows, ['v0', 'v1', 'v2']);
  await handle.stop();
});

test('commits failing with a retriable BusError while a batch waits: the consumer is rebuilt, the batch redelivered', async () => {
  const r = rig();
  const handle = await consume({ ...r.options, semantics: 'at-least-once', handler: () => {} });
  const first = r.consumers[0];
  await first.assign([{ topic: 't', partition: 0 }]);
  first.failCommits = 100;
  first.commitError = lost();
  await first.deliver(records(0, 0, 2));
  await waitFor(() => r.consumers.length === 2, { what: 'a second consumer' });
  assert.equal(r.events.filter((e) => e === 'commit-failed').length, 3);
  await r.consumers[1].assign([{ topic: 't', partition: 0 }]);
  await r.consumers[1].deliver(records(0, 0, 2));
  assert.ok(r.events.includes('commit 0@2'));
  await handle.stop();
  await handle.done;
});

test('a loss reported twice (run() rejects while commits keep failing) rebuilds the consumer once', async () => {
  const held: (() => void)[] = [];
  const r = rig({
    // The first commit retry waits as usual; every later wait is held until released here.
    sleep: (ms: number) => {
      r.sleeps.push(ms);
      return r.sleeps.length === 1 ? Promise.resolve() : new Promise<void>((resolve) => held.push(resolve));
    },
  });
  const handle = await consume({ ...r.options, semantics: 'at-least-once', handler: () => {} });
  const first = r.consumers[0];
  first.failCommits = 3;
  first.commitError = lost();
  await first.assign([{ topic: 't', partition: 0 }]);
  void first.deliver(records(0, 0, 2)).catch(() => {});
  await waitFor(() => held.length === 1, { what: 'the second commit retry to wait' });
  first.lose(lost()); // run() rejects: the reconnect closes it and waits out its back-off (held)
  await waitFor(() => held.length === 2, { what: 'the reconnect back-off' });
  held.shift()!(); // the commit retry goes on, fails a third time and reports the loss again
  await waitFor(() => r.events.filter((e) => e === 'commit-failed').length === 3, {
    what: 'the third failure',
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(await r.reconnects(), 1, 'one loss, one reconnect');
  assert.equal(held.length, 1, 'no second back-off');
  held.shift()!();
  await waitFor(() => r.consumers.length === 2, { what: 'the rebuilt consumer' });
  await handle.stop();
  await handle.done;
  assert.equal(r.consumers.length, 2);
});
