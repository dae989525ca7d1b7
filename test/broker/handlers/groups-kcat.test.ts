// Consumer groups with kcat -G (librdkafka 2.0.2, each member a process): two members share a 4-partition
// topic, a SIGKILLed one's partitions go to the other after the session timeout, and committed offsets
// survive a broker restart (a new member resumes after the last committed record, nothing twice).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestBroker } from '../../helpers/broker.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { keptDataDir } from './admin-helpers.ts';
import { kcatMember, produceTo, waitForBalance, type ChildMember } from './group-clients.ts';

/** Values kcat printed ("partition offset value" lines). */
const values = (member: ChildMember): string[] => member.lines.map((l) => l.split(' ').slice(2).join(' '));

test('kcat -G: two members get 2 partitions each; SIGKILL one and the other gets all 4', async (t) => {
  const broker = await startTestBroker(t);
  await broker.context.topics.create('events', 4, {});
  const first = await produceTo(broker, 'events', 4, 5, 'first');
  const m1 = kcatMember(t, broker.bootstrap, 'g1', 'events');
  const m2 = kcatMember(t, broker.bootstrap, 'g1', 'events');
  const balanced = await waitForBalance(broker, 'g1', [2, 2], 'two kcat members with 2 partitions each');
  assert.deepEqual([...balanced.values()].flat().sort(), ['events:0', 'events:1', 'events:2', 'events:3']);
  await waitFor(() => first.every((v) => values(m1).includes(v) || values(m2).includes(v)), {
    what: 'every record consumed by one member or the other',
  });

  await m2.kill('SIGKILL');
  const alone = await waitForBalance(broker, 'g1', [4], 'the survivor with all 4 partitions');
  assert.equal(alone.size, 1);
  const second = await produceTo(broker, 'events', 4, 5, 'second');
  await waitFor(() => second.every((v) => values(m1).includes(v)), {
    what: 'the survivor consuming every partition',
  });
  await m1.kill('SIGTERM');
});

test('kcat -G: committed offsets survive a broker restart; a new member resumes after them', async (t) => {
  const dataDir = await keptDataDir(t);
  const settings = { dataDir, durability: 'fsync' };
  let broker = await startTestBroker(t, settings);
  await broker.context.topics.create('events', 4, {});
  const before = await produceTo(broker, 'events', 4, 5, 'before');
  const m1 = kcatMember(t, broker.bootstrap, 'g1', 'events');
  await waitFor(() => before.every((v) => values(m1).includes(v)), {
    what: 'the first member consuming everything',
  });
  const offsets = broker.context.offsets;
  await waitFor(() => [0, 1, 2, 3].every((p) => offsets.offset('g1', 'events', p)?.offset === 5n), {
    what: 'kcat committing offset 5 on every partition',
  });
  await m1.kill('SIGTERM');
  await broker.close();

  broker = await startTestBroker(t, settings);
  assert.deepEqual(
    [0, 1, 2, 3].map((p) => broker.context.offsets.offset('g1', 'events', p)?.offset),
    [5n, 5n, 5n, 5n],
  );
  const after = await produceTo(broker, 'events', 4, 3, 'after');
  const m2 = kcatMember(t, broker.bootstrap, 'g1', 'events');
  await waitFor(() => after.every((v) => values(m2).includes(v)), {
    what: 'the new member consuming the new records',
  });
  // Records come in offset order per partition, so anything already consumed would have come first.
  assert.deepEqual(values(m2).sort(), [...after].sort());
  assert.ok(
    m2.lines.every((l) => Number(l.split(' ')[1]) >= 5),
    m2.lines.join('\n'),
  );
  await m2.kill('SIGTERM');
});
