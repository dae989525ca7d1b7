// src/sdk/kafka-client.ts on whichever target the environment names (test/helpers/target.ts): the embedded
// broker by default, Apache Kafka with SLUICE_TEST_TARGET=kafka. Only the SDK's own interfaces are used.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  BusError,
  createBusAdmin,
  createBusConsumer,
  createBusProducer,
  type BusConfig,
  type IncomingRecord,
} from '../../src/sdk/kafka-client.ts';
import { startTarget, uniqueTopic, type Target } from '../helpers/target.ts';
import { waitFor } from '../helpers/wait-for.ts';

let target: Target;
let bus: BusConfig;
before(async () => {
  target = await startTarget();
  bus = { bootstrap: target.bootstrap.split(','), requestTimeoutMs: 10_000 };
});
after(() => target?.stop());

const settled = (_: unknown): Promise<void> => Promise.resolve();
const record = (topic: string, i: number) => ({
  topic,
  key: Buffer.from(`k${i}`),
  value: Buffer.from(`v${i}`),
  headers: { n: Buffer.from(String(i)) },
  timestamp: 1_700_000_000_000n + BigInt(i),
});

test('createTopics through the SDK admin is idempotent; the producer refuses an unknown topic', async () => {
  const topic = uniqueTopic('sdk-admin');
  const admin = createBusAdmin(bus);
  try {
    await admin.createTopics([{ name: topic, partitions: 2, configs: { 'retention.ms': '3600000' } }]);
    await admin.createTopics([{ name: topic, partitions: 2 }]);
  } finally {
    await admin.close();
  }
  const producer = createBusProducer({ ...bus, requestTimeoutMs: 3000 }, { acks: 1, idempotent: false });
  await waitFor(
    () =>
      producer.send([record(topic, 0)]).then(
        () => true,
        () => false,
      ),
    { what: 'the new topic accepting records' },
  );
  const err = await producer.send([record(uniqueTopic('missing'), 0)]).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof BusError, String(err));
  await producer.close();
});

test('round trip, commits that survive a new member, onAssigned seeks, two members split and hand over', async (t) => {
  const topic = uniqueTopic('sdk-client');
  await target.createTopic(topic, 4);
  const producer = createBusProducer(bus, { acks: -1, idempotent: true });
  t.after(() => producer.close());
  await producer.send(Array.from({ length: 40 }, (_, i) => record(topic, i)));

  const group = uniqueTopic('sdk-group');
  const got: IncomingRecord[] = [];
  const first = createBusConsumer(bus, { group, topics: [topic], fromBeginning: true });
  const run1 = first.run({
    async onBatch(records) {
      got.push(...records);
      const last = records.at(-1)!;
      await first.commit([{ topic, partition: last.partition, offset: last.offset + 1n }]);
    },
  });
  await waitFor(() => got.length === 40, { what: '40 records' });
  const r9 = got.find((r) => r.key?.toString() === 'k9')!;
  assert.equal(r9.value!.toString(), 'v9');
  assert.equal(r9.timestamp, 1_700_000_000_009n);
  assert.deepEqual([...r9.headers], [['n', Buffer.from('9')]]);
  const hwm = await first.highWatermarks();
  assert.equal(hwm.length, 4);
  assert.equal(
    hwm.reduce((sum, h) => sum + h.offset, 0n),
    40n,
  );
  await first.close();
  await run1;

  // Committed offsets hold for the next member; it seeks partition 0 back to 0 itself.
  await producer.send([record(topic, 100)]);
  const owned = [new Set<number>(), new Set<number>()];
  const seen: IncomingRecord[][] = [[], []];
  const member = (i: number) => {
    const c = createBusConsumer(bus, { group, topics: [topic], fromBeginning: true });
    const run = c.run({
      onAssigned: (ps) => {
        ps.forEach((p) => owned[i].add(p.partition));
        return Promise.resolve(
          i === 0 && ps.some((p) => p.partition === 0) ? [{ topic, partition: 0, offset: 0n }] : [],
        );
      },
      onRevoked: (ps) => settled(ps.forEach((p) => owned[i].delete(p.partition))),
      onBatch: (records) => settled(seen[i].push(...records)),
    });
    return { c, run };
  };
  const a = member(0);
  const p0 = got.filter((r) => r.partition === 0).length;
  await waitFor(() => seen[0].length === p0 + 1, { what: `partition 0 again (${p0}) and the new record` });
  assert.ok(seen[0].some((r) => r.key?.toString() === 'k100'));
  assert.ok(seen[0].every((r) => r.partition === 0 || r.key?.toString() === 'k100'));

  const b = member(1);
  await waitFor(() => owned[0].size === 2 && owned[1].size === 2, {
    what: `two partitions each (now ${owned[0].size} and ${owned[1].size})`,
  });
  await a.c.close();
  await a.run;
  await waitFor(() => owned[1].size === 4, { what: 'the remaining member taking all four partitions' });
  await producer.send(Array.from({ length: 8 }, (_, i) => record(topic, 200 + i)));
  await waitFor(() => seen[1].filter((r) => r.key!.toString().startsWith('k2')).length === 8, {
    what: 'the 8 later records at the remaining member',
  });
  await b.c.close();
  await b.run;
});
