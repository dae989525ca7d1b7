// src/sdk/kafka-client.ts against the embedded broker in-process: the producer's deadline when the bus goes
// away and its recovery when it is back on the same port, and the consumer's group behaviour.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { test, type TestContext } from 'node:test';
import { startBroker } from '../../src/broker/broker.ts';
import {
  BusError,
  createBusAdmin,
  createBusConsumer,
  createBusProducer,
  describeError,
  type BusConfig,
  type IncomingRecord,
} from '../../src/sdk/kafka-client.ts';
import { DescribeGroupsApi } from '../../src/protocol/messages/index.ts';
import { startTestBroker, tempDir } from '../helpers/broker.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { waitFor } from '../helpers/wait-for.ts';

const record = (topic: string, i: number) => ({
  topic,
  key: Buffer.from(`k${i}`),
  value: Buffer.from(`v${i}`),
  headers: { n: Buffer.from(String(i)) },
});

const CHILD = new URL('./static-member-child.ts', import.meta.url).pathname;

/** A handler that does its work synchronously. */
const settled = (_: unknown): Promise<void> => Promise.resolve();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('bad configuration is refused with a TypeError at creation', () => {
  assert.throws(() => createBusProducer({ bootstrap: [] }, { acks: -1, idempotent: true }), TypeError);
  assert.throws(
    () => createBusProducer({ bootstrap: ['nohost'] }, { acks: -1, idempotent: true }),
    TypeError,
  );
  assert.throws(() => createBusProducer({ bootstrap: ['h:1'] }, { acks: 1, idempotent: true }), /acks -1/);
  assert.throws(() =>
    createBusProducer({ bootstrap: ['h:1'], requestTimeoutMs: 0 }, { acks: 1, idempotent: false }),
  );
  assert.throws(() => createBusConsumer({ bootstrap: ['h:1'] }, { group: '', topics: ['t'] }), TypeError);
  assert.throws(() => createBusConsumer({ bootstrap: ['h:1'] }, { group: 'g', topics: [] }), TypeError);
});

test('BusError folds nested errors into one message', () => {
  const inner = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  const outer = new AggregateError(
    [new Error('Connection failed', { cause: inner })],
    'produce failed 3 times',
  );
  const e = BusError.from('producing', outer);
  assert.equal(e.retriable, true);
  assert.match(
    e.message,
    /^producing: produce failed 3 times \(Connection failed \(connect ECONNREFUSED 127.0.0.1:1\)\)$/,
  );
  assert.equal(describeError('plain'), 'plain');
});

test('a producer made while nothing listens neither throws nor hangs: send rejects within the deadline', async () => {
  const port = await freePort();
  const producer = createBusProducer(
    { bootstrap: [`127.0.0.1:${port}`], requestTimeoutMs: 1000 },
    { acks: -1, idempotent: true },
  );
  const err = await producer.send([record('t', 1)]).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof BusError, String(err));
  assert.equal(err.retriable, true);
  assert.match(err.message, /ECONNREFUSED|no answer within/);
  await producer.close();
});

test('send fails with a BusError while the broker is stopped and works again once it is back on its port', async (t) => {
  const port = await freePort();
  const dataDir = await tempDir();
  let broker = await startBroker({ port, dataDir, logLevel: 'silent', durability: 'none' });
  t.after(() => broker.close());
  const bus: BusConfig = { bootstrap: [`127.0.0.1:${port}`], requestTimeoutMs: 1500 };
  const admin = createBusAdmin(bus);
  await admin.createTopics([{ name: 'out', partitions: 2 }]);
  await admin.createTopics([{ name: 'out', partitions: 2 }]); // exists: not an error
  await admin.close();
  for (const idempotent of [true, false]) {
    const producer = createBusProducer(bus, { acks: -1, idempotent });
    await producer.send([record('out', 1)]);
    await broker.close();
    const err = await producer.send([record('out', 2)]).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof BusError && err.retriable, `expected a retriable BusError, got ${String(err)}`);
    broker = await startBroker({ port, dataDir, logLevel: 'silent', durability: 'none' });
    await waitFor(
      () =>
        producer.send([record('out', 3)]).then(
          () => true,
          () => false,
        ),
      { what: `producing again after the restart (idempotent: ${idempotent})` },
    );
    await producer.close();
  }
});

async function setup(t: TestContext, partitions: number) {
  const broker = await startTestBroker(t);
  const bus: BusConfig = { bootstrap: [broker.bootstrap], requestTimeoutMs: 5000 };
  const admin = createBusAdmin(bus);
  await admin.createTopics([{ name: 'in', partitions }]);
  await admin.close();
  const producer = createBusProducer(bus, { acks: -1, idempotent: true });
  t.after(() => producer.close());
  return { bus, producer };
}

test('round trip: keys, headers, timestamps, order per partition, commits survive a restart', async (t) => {
  const { bus, producer } = await setup(t, 3);
  await producer.send([
    { topic: 'in', key: null, value: Buffer.from('no key'), headers: {}, timestamp: 1_700_000_000_000n },
    ...Array.from({ length: 30 }, (_, i) => record('in', i)),
  ]);
  const got: IncomingRecord[] = [];
  const consumer = createBusConsumer(bus, { group: 'g1', topics: ['in'], fromBeginning: true });
  const run = consumer.run({
    async onBatch(records) {
      got.push(...records);
      const last = records.at(-1)!;
      await consumer.commit([{ topic: last.topic, partition: last.partition, offset: last.offset + 1n }]);
    },
  });
  await waitFor(() => got.length === 31, { what: '31 records' });
  const noKey = got.find((r) => r.key === null)!;
  assert.equal(noKey.value!.toString(), 'no key');
  assert.equal(noKey.timestamp, 1_700_000_000_000n);
  const r7 = got.find((r) => r.key?.toString() === 'k7')!;
  assert.equal(r7.value!.toString(), 'v7');
  assert.deepEqual([...r7.headers], [['n', Buffer.from('7')]]);
  for (const p of [0, 1, 2]) {
    const offsets = got.filter((r) => r.partition === p).map((r) => r.offset);
    assert.deepEqual(
      offsets,
      [...offsets].sort((a, b) => (a < b ? -1 : 1)),
    );
  }
  const hwm = await consumer.highWatermarks();
  assert.equal(
    hwm.reduce((sum, h) => sum + h.offset, 0n),
    31n,
  );
  await consumer.close();
  await run;

  // A new member of the same group starts at the committed offsets: only new records arrive.
  await producer.send([record('in', 100)]);
  const again: IncomingRecord[] = [];
  const second = createBusConsumer(bus, { group: 'g1', topics: ['in'], fromBeginning: true });
  const run2 = second.run({ onBatch: (records) => settled(again.push(...records)) });
  await waitFor(() => again.length >= 1, { what: 'the record after the restart' });
  assert.deepEqual(
    again.map((r) => r.key?.toString()),
    ['k100'],
  );
  await second.close();
  await run2;
});

test('onAssigned start offsets are honoured; other partitions start at the latest offset', async (t) => {
  const { bus, producer } = await setup(t, 2);
  const byPartition = (p: number) => ({ topic: 'in', key: null, value: Buffer.from(`p${p}`), headers: {} });
  // Four records on each partition, by explicit key hashing avoided: send until both have 4.
  for (let i = 0; i < 4; i++) await producer.send([byPartition(0), byPartition(1)]);
  const got: IncomingRecord[] = [];
  const assignedSeen: string[] = [];
  const consumer = createBusConsumer(bus, { group: 'seek', topics: ['in'] });
  const run = consumer.run({
    onAssigned(partitions) {
      assignedSeen.push(...partitions.map((p) => `${p.topic}:${p.partition}`));
      return Promise.resolve([{ topic: 'in', partition: 0, offset: 2n }]);
    },
    onBatch: (records) => settled(got.push(...records)),
  });
  await waitFor(() => assignedSeen.length === 2, { what: 'both partitions assigned' });
  const hwm = await consumer.highWatermarks();
  const p0 = hwm.find((h) => h.partition === 0)!.offset;
  await waitFor(() => got.length === Number(p0) - 2, { what: 'partition 0 from offset 2' });
  assert.ok(got.every((r) => r.partition === 0 && r.offset >= 2n));
  await producer.send([{ topic: 'in', key: Buffer.from('late'), value: Buffer.from('x'), headers: {} }]);
  await waitFor(() => got.some((r) => r.key?.toString() === 'late'), {
    what: 'a record produced after the start',
  });
  await consumer.close();
  await run;
});

test('two members split the partitions; close leaves the group and the other takes over', async (t) => {
  const { bus, producer } = await setup(t, 4);
  const owned = [new Set<number>(), new Set<number>()];
  const seen = [0, 0];
  const member = (i: number) => {
    const c = createBusConsumer(bus, { group: 'split', topics: ['in'], fromBeginning: true });
    const run = c.run({
      onAssigned: (ps) => settled(ps.forEach((p) => owned[i].add(p.partition))),
      onRevoked: (ps) => settled(ps.forEach((p) => owned[i].delete(p.partition))),
      onBatch: (records) => settled((seen[i] += records.length)),
    });
    return { c, run };
  };
  const a = member(0);
  await waitFor(() => owned[0].size === 4, { what: 'the first member owning all 4 partitions' });
  const b = member(1);
  await waitFor(() => owned[0].size === 2 && owned[1].size === 2, {
    what: `2 partitions each (now ${owned[0].size} and ${owned[1].size})`,
  });
  assert.equal(new Set([...owned[0], ...owned[1]]).size, 4);
  await producer.send(Array.from({ length: 40 }, (_, i) => record('in', i)));
  await waitFor(() => seen[0] + seen[1] === 40, { what: '40 records between the two' });
  assert.ok(seen[0] > 0 && seen[1] > 0);
  await a.c.close();
  await a.run;
  assert.equal(owned[0].size, 0);
  await waitFor(() => owned[1].size === 4, { what: 'the remaining member taking all 4 partitions' });
  await b.c.close();
  await b.run;
});

test('a pending onBatch holds back its own partition only, and everything arrives in order once it settles', async (t) => {
  const { bus, producer } = await setup(t, 2);
  // Keys k0..k59 spread over both partitions.
  await producer.send(Array.from({ length: 60 }, (_, i) => record('in', i)));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const batches: { partition: number; offsets: bigint[] }[] = [];
  let blocked: number | undefined;
  const consumer = createBusConsumer(bus, {
    group: 'gate',
    topics: ['in'],
    fromBeginning: true,
    maxBatchRecords: 5,
  });
  const run = consumer.run({
    async onBatch(records) {
      batches.push({ partition: records[0].partition, offsets: records.map((r) => r.offset) });
      if (blocked === undefined) {
        blocked = records[0].partition;
        await gate;
      }
    },
  });
  t.after(() => release());
  await waitFor(() => blocked !== undefined, { what: 'a first batch' });
  const hwm = await consumer.highWatermarks();
  const other = hwm.find((h) => h.partition !== blocked && h.offset > 0n);
  if (other) {
    await waitFor(
      () =>
        batches.filter((b) => b.partition === other.partition).flatMap((b) => b.offsets).length ===
        Number(other.offset),
      {
        what: 'the other partition delivered in full while the first is held',
      },
    );
  }
  assert.equal(
    batches.filter((b) => b.partition === blocked).length,
    1,
    'the held partition got no second batch',
  );
  release();
  await waitFor(() => batches.flatMap((b) => b.offsets).length === 60, { what: 'all 60 records' });
  for (const partition of [0, 1]) {
    const offsets = batches.filter((b) => b.partition === partition).flatMap((b) => b.offsets);
    assert.deepEqual(
      offsets,
      offsets.map((_, i) => BigInt(i)),
    );
  }
  assert.ok(batches.every((b) => b.offsets.length <= 5));
  await consumer.close();
  await run;
});

test('static membership: a member SIGKILLed and restarted with the same groupInstanceId gets its partitions back', async (t) => {
  assert.throws(
    () => createBusConsumer({ bootstrap: ['h:1'] }, { group: 'g', topics: ['t'], groupInstanceId: 'a b' }),
    TypeError,
  );
  const { bus, producer } = await setup(t, 2);
  // A session far longer than the wait below: only static membership lets the restart in before the
  // dead member's session runs out (a dynamic member would leave the group rebalancing, waiting for it).
  const session = '120000';
  const child = spawn(process.execPath, [CHILD, bus.bootstrap[0], 'in', 'gs', 'member-1', session], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  await producer.send([record('in', 1), record('in', 2)]);
  await waitFor(() => out.includes('committed v1\n') && out.includes('committed v2\n'), {
    what: 'the child committed v1, v2',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;

  const got: string[] = [];
  const consumer = createBusConsumer(bus, {
    group: 'gs',
    topics: ['in'],
    fromBeginning: true, // a partition without a commit: the records produced below must not be skipped
    groupInstanceId: 'member-1',
    sessionTimeoutMs: Number(session),
  });
  t.after(() => consumer.close());
  const assigned: number[] = [];
  const run = consumer.run({
    onAssigned(partitions) {
      assigned.push(...partitions.map((p) => p.partition));
      return Promise.resolve();
    },
    async onBatch(records) {
      got.push(...records.map((r) => r.value!.toString()));
      const last = records.at(-1)!;
      await consumer.commit([{ topic: last.topic, partition: last.partition, offset: last.offset + 1n }]);
    },
  });
  await producer.send([record('in', 3), record('in', 4), record('in', 5)]);
  // Resumed from the committed offsets: the next records only, on both partitions.
  await waitFor(() => got.length >= 3, { what: 'the restarted member got v3..v5', deadlineMs: 45_000 });
  assert.deepEqual(got.sort(), ['v3', 'v4', 'v5']);
  assert.deepEqual(assigned.sort(), [0, 1]);
  const port = Number(bus.bootstrap[0].split(':')[1]);
  const raw = await RawClient.connect(port);
  t.after(() => raw.close());
  const res = await raw.request(DescribeGroupsApi, 5, { groups: ['gs'], includeAuthorizedOperations: false });
  const [group] = res.groups;
  assert.equal(group.groupState, 'Stable');
  assert.deepEqual(
    group.members.map((m) => m.groupInstanceId),
    ['member-1'],
  );
  await consumer.close();
  await run;
});
