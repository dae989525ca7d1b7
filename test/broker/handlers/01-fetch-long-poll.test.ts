// Fetch long poll: a parked fetch is answered by an append on another connection (long before its max
// wait), by its max wait with nothing, by broker shutdown, and stops when its connection closes. Every
// path leaves no high-watermark listener and no timer behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PartitionLog } from '../../../src/broker/log/index.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { FetchApi } from '../../../src/protocol/messages/index.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import {
  batchOf,
  connectClient,
  fetch,
  fetchRequest,
  produce,
  recordsOf,
  setup,
  waitFor,
} from './data-path.ts';

/** Ten minutes: a test that waits for it has failed long before. */
const FOREVER_MS = 600_000;

/** Counts the high-watermark listeners the broker holds on `log` (subscribed minus unsubscribed). */
function countListeners(log: PartitionLog): () => number {
  let active = 0;
  const subscribe = log.onHighWatermark.bind(log);
  log.onHighWatermark = (listener) => {
    active++;
    const unsubscribe = subscribe(listener);
    let done = false;
    return () => {
      if (!done) active--;
      done = true;
      unsubscribe();
    };
  };
  return () => active;
}

const activeTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('a parked fetch is answered by an append from another connection, well before max wait', async (t) => {
  const { client, broker, topic } = await setup(t);
  const listeners = countListeners(broker.context.topics.partition('events', 0)!.log);
  for (const version of [4, 11, 13]) {
    const hwm = broker.context.topics.partition('events', 0)!.log.highWatermark;
    const request = fetchRequest(version >= 13 ? topic : 'events', [{ offset: hwm }], {
      maxWaitMs: FOREVER_MS,
      minBytes: 1,
    });
    const id = client.send(FetchApi, version, request);
    await waitFor(() => listeners() === 1, 'the fetch to park');
    const producer = await connectClient(t, broker);
    assert.equal((await produce(producer, 7, 'events', 0, batchOf(`v${version}`, 2))).errorCode, 0);
    const res = await client.receive(FetchApi, version, id);
    assert.deepEqual(
      recordsOf(res.responses[0].partitions[0]).map((r) => [r.offset, r.value]),
      [
        [hwm, `v${version}-0`],
        [hwm + 1n, `v${version}-1`],
      ],
    );
    assert.equal(listeners(), 0);
  }
});

test('a parked fetch waits until appends reach minBytes', async (t) => {
  const { client, broker } = await setup(t);
  const listeners = countListeners(broker.context.topics.partition('events', 0)!.log);
  const one = batchOf('m', 3);
  const id = client.send(
    FetchApi,
    12,
    fetchRequest('events', [{ offset: 0n }], { maxWaitMs: FOREVER_MS, minBytes: one.length + 1 }),
  );
  await waitFor(() => listeners() === 1, 'the fetch to park');
  const producer = await connectClient(t, broker);
  await produce(producer, 7, 'events', 0, one);
  await produce(producer, 7, 'events', 0, batchOf('n', 3));
  // Had the first append answered it, only that batch would be in the response.
  const res = await client.receive(FetchApi, 12, id);
  assert.deepEqual(
    recordsOf(res.responses[0].partitions[0]).map((r) => r.value),
    ['m-0', 'm-1', 'm-2', 'n-0', 'n-1', 'n-2'],
  );
  assert.equal(listeners(), 0);
});

test('a parked fetch does not re-read its partitions on every small append below minBytes', async (t) => {
  const { client, broker } = await setup(t);
  const log = broker.context.topics.partition('events', 0)!.log;
  const listeners = countListeners(log);
  let reads = 0;
  const read = log.read.bind(log);
  log.read = (...args) => {
    reads++;
    return read(...args);
  };
  const small = batchOf('s');
  const id = client.send(
    FetchApi,
    11,
    fetchRequest('events', [{ offset: 0n }], { maxWaitMs: FOREVER_MS, minBytes: small.length * 20 }),
  );
  await waitFor(() => listeners() === 1, 'the fetch to park');
  const producer = await connectClient(t, broker);
  for (let i = 0; i < 20; i++) await produce(producer, 7, 'events', 0, batchOf('s'));
  const res = await client.receive(FetchApi, 11, id);
  assert.equal(recordsOf(res.responses[0].partitions[0]).length, 20);
  assert.ok(reads <= 3, `${reads} reads for 20 appends`);
});

test('a fetch whose response is already full (maxBytes below minBytes) is answered at once', async (t) => {
  const { client } = await setup(t);
  await produce(client, 7, 'events', 0, batchOf('full', 5));
  const res = await fetch(
    client,
    11,
    fetchRequest('events', [{ offset: 0n }], { maxWaitMs: FOREVER_MS, minBytes: 1_000_000, maxBytes: 10 }),
  );
  assert.equal(recordsOf(res.responses[0].partitions[0]).length, 5);
});

test('a parked fetch on several partitions is woken by an append to any of them', async (t) => {
  const { client, broker } = await setup(t, { partitions: 3 });
  const listeners = [0, 1, 2].map((i) => countListeners(broker.context.topics.partition('events', i)!.log));
  const targets = [0, 1, 2].map((partition) => ({ partition, offset: 0n }));
  const id = client.send(
    FetchApi,
    11,
    fetchRequest('events', targets, { maxWaitMs: FOREVER_MS, minBytes: 1 }),
  );
  await waitFor(() => listeners.every((count) => count() === 1), 'the fetch to park on every partition');
  const producer = await connectClient(t, broker);
  await produce(producer, 7, 'events', 2, batchOf('late'));
  const res = await client.receive(FetchApi, 11, id);
  assert.deepEqual(
    res.responses[0].partitions.map((p) => [p.partitionIndex, recordsOf(p).length]),
    [
      [0, 0],
      [1, 0],
      [2, 1],
    ],
  );
  assert.ok(listeners.every((count) => count() === 0));
});

test('max wait elapses with no data: empty records, no error', async (t) => {
  const { client } = await setup(t);
  for (const version of [4, 12]) {
    const res = await fetch(
      client,
      version,
      fetchRequest('events', [{ offset: 0n }], { maxWaitMs: 20, minBytes: 1 }),
    );
    const p = res.responses[0].partitions[0];
    assert.equal(p.errorCode, ErrorCode.NONE);
    assert.equal(p.records!.length, 0);
  }
});

test('max wait with some data below minBytes answers with that data', async (t) => {
  const { client } = await setup(t);
  await produce(client, 7, 'events', 0, batchOf('some'));
  const res = await fetch(
    client,
    11,
    fetchRequest('events', [{ offset: 0n }], { maxWaitMs: 20, minBytes: 10_000_000 }),
  );
  assert.deepEqual(
    recordsOf(res.responses[0].partitions[0]).map((r) => r.value),
    ['some-0'],
  );
});

test('broker shutdown answers a parked fetch at once', async (t) => {
  const { client, broker } = await setup(t);
  const listeners = countListeners(broker.context.topics.partition('events', 0)!.log);
  const id = client.send(
    FetchApi,
    11,
    fetchRequest('events', [{ offset: 0n }], { maxWaitMs: FOREVER_MS, minBytes: 1 }),
  );
  await waitFor(() => listeners() === 1, 'the fetch to park');
  const closing = broker.close();
  const res = await client.receive(FetchApi, 11, id);
  assert.equal(res.responses[0].partitions[0].errorCode, ErrorCode.NONE);
  await closing;
  assert.equal(listeners(), 0);
});

test('a parked fetch whose connection closes lets go of its listeners and timer', async (t) => {
  const { broker } = await setup(t);
  const listeners = countListeners(broker.context.topics.partition('events', 0)!.log);
  const timersBefore = activeTimers();
  const client = await RawClient.connect(broker.port);
  client.send(FetchApi, 11, fetchRequest('events', [{ offset: 0n }], { maxWaitMs: FOREVER_MS, minBytes: 1 }));
  await waitFor(() => listeners() === 1, 'the fetch to park');
  assert.ok(activeTimers() > timersBefore, 'the parked fetch holds its max-wait timer');
  client.close();
  await waitFor(() => listeners() === 0, 'the fetch to let go');
  await waitFor(() => activeTimers() <= timersBefore, 'its max-wait timer to be cleared');
});

test('many fetches, woken each way, leave no listener or timer behind', async (t) => {
  const { client, broker } = await setup(t);
  const log = broker.context.topics.partition('events', 0)!.log;
  const listeners = countListeners(log);
  const producer = await connectClient(t, broker);
  const timersBefore = activeTimers();
  for (let i = 0; i < 30; i++) {
    // Times out with nothing.
    await fetch(
      client,
      11,
      fetchRequest('events', [{ offset: log.highWatermark }], { maxWaitMs: 1, minBytes: 1 }),
    );
    // Woken by data.
    const id = client.send(
      FetchApi,
      11,
      fetchRequest('events', [{ offset: log.highWatermark }], { maxWaitMs: FOREVER_MS, minBytes: 1 }),
    );
    await waitFor(() => listeners() === 1, 'the fetch to park');
    await produce(producer, 7, 'events', 0, batchOf(`w${i}`));
    assert.equal(recordsOf((await client.receive(FetchApi, 11, id)).responses[0].partitions[0]).length, 1);
    // Answered at once: data already there.
    await fetch(client, 11, fetchRequest('events', [{ offset: 0n }], { maxWaitMs: FOREVER_MS, minBytes: 1 }));
  }
  assert.equal(listeners(), 0);
  await waitFor(() => activeTimers() <= timersBefore, 'every max-wait timer to be cleared');
});
