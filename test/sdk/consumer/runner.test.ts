// The consumer runner over a fake bus: when each semantic commits relative to the handler, retries and the
// dead-letter topic, graceful stop, fatal errors and bad options.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { consume } from '../../../src/sdk/consumer/runner.ts';
import {
  ConsumerConfigError,
  NonRetriableError,
  type ConsumeOptions,
  type ConsumerHandle,
} from '../../../src/sdk/consumer/types.ts';
import { FakeBusConsumer, FakeProducer, FakeSink, records, type Events, type FakeTx } from './fakes.ts';
import type { BusConsumerOptions } from '../../../src/sdk/kafka-client.ts';

interface Rig {
  events: Events;
  bus: FakeBusConsumer;
  producer: FakeProducer;
  sink: FakeSink;
  sleeps: number[];
  handle: ConsumerHandle;
}

type Extra = Partial<Omit<ConsumeOptions<FakeTx>, 'semantics' | 'handler' | 'sink'>>;

/** Options every consumer over a fake bus needs: its own metrics registry, no lag timer. */
function basics() {
  return { bus: { bootstrap: ['h:1'] }, topic: 't', group: 'g', metrics: new Registry(), lagIntervalMs: 0 };
}

async function rig(
  semantics: ConsumeOptions['semantics'],
  handler: (value: string, attempt: number, tx: FakeTx | undefined) => Promise<void> | void,
  extra: Extra = {},
): Promise<Rig> {
  const events: Events = [];
  const bus = new FakeBusConsumer(events);
  const producer = new FakeProducer(events);
  const sink = new FakeSink(events);
  const sleeps: number[] = [];
  const common = {
    bus: { bootstrap: ['127.0.0.1:1'] },
    topic: 't',
    group: 'g',
    deadLetterTopic: 't.dlq',
    retry: { attempts: 3, initialDelayMs: 100, maxDelayMs: 150 },
    metrics: new Registry(),
    lagIntervalMs: 0,
    createConsumer: () => bus,
    createProducer: () => producer,
    sleep: (ms: number) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...extra,
  };
  const handle =
    semantics === 'effectively-once'
      ? await consume<FakeTx>({
          ...common,
          semantics,
          sink,
          handler: async (r, ctx) => {
            events.push(`handle ${r.partition}@${r.offset}#${ctx.attempt}`);
            await handler(r.value!.toString(), ctx.attempt, ctx.tx);
          },
        })
      : await consume({
          ...common,
          semantics,
          handler: async (r, ctx) => {
            events.push(`handle ${r.partition}@${r.offset}#${ctx.attempt}`);
            await handler(r.value!.toString(), ctx.attempt, undefined);
          },
        });
  return { events, bus, producer, sink, sleeps, handle };
}

test('at-most-once commits the batch before its first record is handled', async () => {
  const r = await rig('at-most-once', () => {});
  await r.bus.deliver(records(0, 0, 3));
  assert.deepEqual(r.events, ['commit 0@3', 'handle 0@0#1', 'handle 0@1#1', 'handle 0@2#1']);
  await r.handle.stop();
  assert.deepEqual(r.events.slice(4), ['close'], 'nothing left to commit at stop');
});

test('at-least-once commits after the last record of the batch is handled', async () => {
  const r = await rig('at-least-once', () => {});
  await r.bus.deliver(records(1, 5, 8));
  assert.deepEqual(r.events, ['handle 1@5#1', 'handle 1@6#1', 'handle 1@7#1', 'commit 1@8']);
  await r.handle.stop();
  assert.equal(r.bus.closed, true);
});

test('effectively-once stores the offset inside the transaction of the writes, then commits the group for tooling', async () => {
  const r = await rig('effectively-once', (value, _attempt, tx) => tx!.write(value));
  await r.bus.deliver(records(0, 0, 2));
  assert.deepEqual(r.events, [
    'begin',
    'handle 0@0#1',
    'write v0',
    'handle 0@1#1',
    'write v1',
    'store 0@2',
    'commit-tx',
    'commit 0@2',
  ]);
  assert.deepEqual(r.sink.rows, ['v0', 'v1']);
  await r.handle.stop();
});

test('effectively-once resumes from the sink offsets on assignment and skips records before them', async () => {
  const events: Events = [];
  const sink = new FakeSink(events);
  sink.offsets.set('g/t/0', 2n);
  const bus = new FakeBusConsumer(events);
  const handle = await consume<FakeTx>({
    ...basics(),
    semantics: 'effectively-once',
    sink,
    createConsumer: () => bus,
    handler: (rec, ctx) => ctx.tx.write(rec.value!.toString()),
  });
  const start = await bus.assign([
    { topic: 't', partition: 0 },
    { topic: 't', partition: 1 },
  ]);
  assert.deepEqual(start, [{ topic: 't', partition: 0, offset: 2n }], 'only partitions the sink knows');
  await bus.deliver(records(0, 0, 4)); // a fetch that raced the seek
  assert.deepEqual(sink.rows, ['v2', 'v3']);
  assert.equal(sink.offsets.get('g/t/0'), 4n);
  await handle.stop();
});

test('a failing record is retried with capped exponential back-off and handled', async () => {
  const r = await rig('at-least-once', (_v, attempt) => {
    if (attempt < 3) throw new Error('flaky');
  });
  await r.bus.deliver(records(0, 0, 1));
  assert.deepEqual(r.sleeps, [100, 150]);
  assert.deepEqual(r.events, ['handle 0@0#1', 'handle 0@0#2', 'handle 0@0#3', 'commit 0@1']);
  assert.equal(r.producer.sent.length, 0);
  await r.handle.stop();
});

test('after its last attempt a record goes to the dead-letter topic with its origin, and the partition continues', async () => {
  const r = await rig('at-least-once', (value) => {
    if (value === 'v1') JSON.parse('not json');
  });
  await r.bus.deliver(records(2, 0, 3));
  assert.deepEqual(r.events, [
    'handle 2@0#1',
    'handle 2@1#1',
    'handle 2@1#2',
    'handle 2@1#3',
    'dlq 2@1',
    'handle 2@2#1',
    'commit 2@3',
  ]);
  const [dead] = r.producer.sent;
  assert.equal(dead.topic, 't.dlq');
  assert.equal(dead.key!.toString(), 'k1');
  assert.equal(dead.value.toString(), 'v1');
  const h = Object.fromEntries(Object.entries(dead.headers).map(([k, v]) => [k, v.toString()]));
  assert.equal(h['sluice.dlq.topic'], 't');
  assert.equal(h['sluice.dlq.partition'], '2');
  assert.equal(h['sluice.dlq.offset'], '1');
  assert.equal(h['sluice.dlq.attempts'], '3');
  assert.equal(h['sluice.dlq.group'], 'g');
  assert.match(h['sluice.dlq.error'], /^SyntaxError: /);
  assert.equal(h.h, 'x', 'the original headers are kept');
  await r.handle.stop();
  assert.equal(r.producer.closed, true);
});

test('NonRetriableError skips the retries; a failed dead-letter send is retried before the partition moves on', async () => {
  const r = await rig('at-most-once', (value) => {
    if (value === 'v0') throw new NonRetriableError('wrong schema');
  });
  r.producer.failSends = 2;
  await r.bus.deliver(records(0, 0, 2));
  assert.deepEqual(r.events, [
    'commit 0@2',
    'handle 0@0#1',
    'dlq-send-failed',
    'dlq-send-failed',
    'dlq 0@0',
    'handle 0@1#1',
  ]);
  assert.equal(r.producer.sent[0].headers['sluice.dlq.attempts'].toString(), '1');
  await r.handle.stop();
});

test('effectively-once: the records before a failing one commit, each retry runs in its own transaction', async () => {
  const r = await rig('effectively-once', (value, attempt, tx) => {
    tx!.write(`${value}#${attempt}`);
    if (value === 'v1') throw new Error('constraint');
  });
  await r.bus.deliver(records(0, 0, 3));
  assert.deepEqual(r.sink.rows, ['v0#1', 'v2#1'], 'the failed attempts rolled back');
  assert.equal(r.sink.offsets.get('g/t/0'), 3n);
  assert.deepEqual(r.producer.sent.length, 1);
  const steps = r.events.filter((e) => !e.startsWith('write'));
  assert.deepEqual(steps, [
    'begin',
    'handle 0@0#1',
    'handle 0@1#1',
    'rollback-to-savepoint',
    'store 0@1',
    'commit-tx',
    'begin',
    'handle 0@1#2',
    'rollback',
    'begin',
    'handle 0@1#3',
    'rollback',
    'dlq 0@1',
    'begin',
    'store 0@2',
    'commit-tx',
    'begin',
    'handle 0@2#1',
    'store 0@3',
    'commit-tx',
    'commit 0@3',
  ]);
  await r.handle.stop();
});

test('stop() lets the handler in flight finish, commits what was handled, then leaves the group', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inHandler = new Promise<void>((resolve) => (entered = resolve));
  const r = await rig('at-least-once', async (value) => {
    if (value === 'v1') {
      entered();
      await gate;
    }
  });
  const delivering = r.bus.deliver(records(0, 0, 4));
  await inHandler;
  const stopping = r.handle.stop();
  release();
  await stopping;
  await delivering;
  assert.deepEqual(r.events, ['handle 0@0#1', 'handle 0@1#1', 'commit 0@2', 'close']);
  await r.handle.done;
});

test('at-most-once stop() commits back to the first record it did not handle', async () => {
  let entered!: () => void;
  const inHandler = new Promise<void>((resolve) => (entered = resolve));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const r = await rig('at-most-once', async (value) => {
    if (value === 'v0') {
      entered();
      await gate;
    }
  });
  const delivering = r.bus.deliver(records(0, 0, 5));
  await inHandler;
  const stopping = r.handle.stop();
  release();
  await Promise.all([stopping, delivering]);
  assert.deepEqual(r.events, ['commit 0@5', 'handle 0@0#1', 'commit 0@1', 'close']);
});

test('stop() during a back-off leaves the record for the next consumer', async () => {
  const events: Events = [];
  const bus = new FakeBusConsumer(events);
  const handle: ConsumerHandle = await consume({
    ...basics(),
    semantics: 'at-least-once',
    createConsumer: () => bus,
    sleep: () => {
      void handle.stop(); // aborts at once; resolves after this batch ends
      return Promise.resolve();
    },
    handler: () => {
      throw new Error('down');
    },
  });
  await bus.deliver(records(0, 0, 2));
  await handle.done;
  assert.deepEqual(events, ['commit 0@0', 'close'], 'the group resumes at the record that was not handled');
});

test('a commit the bus refuses is retried before at-most-once handles anything', async () => {
  const r = await rig('at-most-once', () => {});
  r.bus.failCommits = 2;
  await r.bus.deliver(records(0, 0, 1));
  assert.deepEqual(r.events, ['commit-failed', 'commit-failed', 'commit 0@1', 'handle 0@0#1']);
  await r.handle.stop();
});

test('a sink that cannot commit stops the consumer: done rejects with its error, the group is left', async () => {
  const r = await rig('effectively-once', (value, _a, tx) => tx!.write(value));
  r.sink.failCommit = true;
  await r.bus.deliver(records(0, 0, 2));
  await assert.rejects(r.handle.done, /disk I\/O error/);
  assert.equal(r.bus.closed, true);
  assert.deepEqual(r.sink.rows, []);
  await r.bus.deliver(records(0, 2, 3));
  assert.equal(r.events.filter((e) => e.startsWith('handle')).length, 2, 'no batch handled after the stop');
});

test("the bus consumer gets the caller's fetch size and group settings, and the defaults otherwise", async () => {
  const seen: BusConsumerOptions[] = [];
  const open = async (extra: object): Promise<void> => {
    const handle = await consume({
      ...basics(),
      semantics: 'at-least-once',
      handler: () => {},
      createConsumer: (_bus, options) => {
        seen.push(options);
        return new FakeBusConsumer([]);
      },
      ...extra,
    });
    await handle.stop();
  };
  await open({ maxFetchBytes: 4 * 1024 * 1024, sessionTimeoutMs: 30_000, groupInstanceId: 'worker-1' });
  await open({});
  assert.equal(seen[0].maxFetchBytes, 4 * 1024 * 1024);
  assert.equal(seen[0].sessionTimeoutMs, 30_000);
  assert.equal(seen[0].groupInstanceId, 'worker-1');
  assert.equal('maxFetchBytes' in seen[1], false, "left to the bus consumer's default");
});

test('bad options are refused with ConsumerConfigError', async () => {
  const base = {
    bus: { bootstrap: ['h:1'] },
    topic: 't',
    group: 'g',
    semantics: 'at-least-once' as const,
    handler: () => {},
    createConsumer: () => new FakeBusConsumer([]),
  };
  const cases: [string, object, RegExp][] = [
    ['no bootstrap', { bus: { bootstrap: [] } }, /bus\.bootstrap/],
    ['empty topic', { topic: '' }, /topic must be a non-empty string/],
    ['bad semantics', { semantics: 'exactly-once' }, /semantics must be one of/],
    ['no handler', { handler: undefined }, /handler must be a function/],
    ['effectively-once without sink', { semantics: 'effectively-once' }, /needs a sink/],
    ['sink with at-least-once', { sink: new FakeSink([]) }, /only used by effectively-once/],
    ['dlq equals topic', { deadLetterTopic: 't' }, /must differ from topic/],
    ['attempts 0', { retry: { attempts: 0 } }, /retry\.attempts/],
    ['max below initial', { retry: { initialDelayMs: 50, maxDelayMs: 10 } }, /retry\.maxDelayMs/],
    ['negative lag interval', { lagIntervalMs: -1 }, /lagIntervalMs/],
    ['empty group instance id', { groupInstanceId: '' }, /groupInstanceId must be a non-empty/],
    ['group instance id with a space', { groupInstanceId: 'a b' }, /groupInstanceId must not contain/],
    ['zero fetch bytes', { maxFetchBytes: 0 }, /maxFetchBytes must be a positive integer \(bytes\), got 0/],
    ['fractional fetch bytes', { maxFetchBytes: 1.5 }, /maxFetchBytes must be a positive integer/],
    ['fetch bytes as text', { maxFetchBytes: '1MB' }, /maxFetchBytes must be a positive integer.*"1MB"/],
  ];
  for (const [what, change, message] of cases) {
    await assert.rejects(
      consume({ ...base, ...change }),
      (error: unknown) => error instanceof ConsumerConfigError && message.test(error.message),
      what,
    );
  }
});
