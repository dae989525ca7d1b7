// The publisher's own produce connection (src/sdk/kafka/broker-connection.ts) against the target the
// environment names (SLUICE_TEST_TARGET): pipelined requests answered in order, every Produce version we
// may negotiate accepted, and a broker SIGKILLed with batches in flight — those fail retriably, and sent
// again with their stamps after the restart, every record is stored exactly once, in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { produceRequest } from '../../src/sdk/batch-sender.ts';
import { BusError, createBusProducer, type SealedBatch } from '../../src/sdk/kafka-client.ts';
import { BrokerConnection } from '../../src/sdk/kafka/broker-connection.ts';
import { decodeProduceResponse } from '../../src/protocol/messages/produce.ts';
import { OpenBatch } from '../../src/sdk/publisher/open-batch.ts';
import { measure, newMeasure } from '../../src/sdk/publisher/record-encoding.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { fetchAll } from '../helpers/records-io.ts';
import { startStoppableBus } from '../helpers/stoppable-bus.ts';
import { startTarget, uniqueTopic } from '../helpers/target.ts';
import { waitFor } from '../helpers/wait-for.ts';

function sealed(from: number, count: number): SealedBatch {
  const batch = new OpenBatch(0, 1 << 16);
  const m = newMeasure();
  for (let i = from; i < from + count; i++) {
    const r = {
      key: null,
      value: Buffer.from(`v${i}`),
      headers: {},
      timestamp: 1_700_000_000_000n + BigInt(i),
    };
    measure(r, m, 0);
    batch.append(r, m);
  }
  return batch.seal();
}

async function values(bootstrap: string, topic: string): Promise<string[]> {
  const [host, port] = bootstrap.split(',')[0].split(':');
  const client = await RawClient.connect(Number(port), host);
  try {
    return (await fetchAll(client, topic, 0)).records.map((r) => r.value!.toString());
  } finally {
    client.close();
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`);

test('pipelined Produce requests are answered in order, in every version we may negotiate', async (t) => {
  const target = await startTarget();
  t.after(() => target.stop());
  const topic = uniqueTopic('broker-connection');
  await target.createTopic(topic, 1);
  const [host, port] = target.bootstrap.split(',')[0].split(':');
  const c = await BrokerConnection.connect({
    host,
    port: Number(port),
    clientId: 'test',
    connectTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
  });
  t.after(() => c.close());
  t.diagnostic(`negotiated Produce v${c.produceVersion} with ${target.kind}`);
  assert.ok(c.produceVersion >= 9 && c.produceVersion <= 11, `negotiated Produce v${c.produceVersion}`);
  const versions = [3, 4, 5, 6, 7, 8, 9, 10, 11].filter((v) => v <= c.produceVersion);
  const order: number[] = [];
  const offsets = await Promise.all(
    Array.from({ length: 30 }, async (_, i) => {
      const version = versions[i % versions.length];
      const response = await c.request(
        0,
        version,
        produceRequest(version, topic, sealed(i * 3, 3), -1, 30_000),
        false,
        (r) => decodeProduceResponse(r, version),
      );
      order.push(i);
      const p = response!.responses[0].partitionResponses[0];
      assert.equal(p.errorCode, 0, `Produce v${version}`);
      return Number(p.baseOffset);
    }),
  );
  assert.deepEqual(
    order,
    range(30).map((_, i) => i),
    'resolved in the order sent',
  );
  assert.deepEqual(
    offsets,
    range(30).map((_, i) => i * 3),
    'stored in the order sent',
  );
  assert.deepEqual(await values(target.bootstrap, topic), range(90));
});

test('a broker SIGKILLed with batches in flight: they fail retriably; sent again, each record is stored once', async (t) => {
  const bus = await startStoppableBus(t);
  const topic = uniqueTopic('broker-killed');
  await bus.createTopic(topic, 1);
  const producer = createBusProducer(
    { bootstrap: [bus.bootstrap], requestTimeoutMs: 10_000, connectTimeoutMs: 2_000 },
    { acks: -1, idempotent: true },
  );
  t.after(() => producer.close());
  const batches = Array.from({ length: 20 }, (_, b) => sealed(b * 200, 200));
  const acknowledged = new Set<number>();
  const send = (b: number) => producer.sendBatch!(topic, batches[b]).then(() => acknowledged.add(b));

  await Promise.all([0, 1, 2, 3, 4].map(send));
  // Five more in flight (as the publisher keeps them), and the broker killed under them.
  const inFlight = Promise.allSettled([5, 6, 7, 8, 9].map(send));
  await bus.stop('SIGKILL');
  const settled = await inFlight;
  for (const s of settled) {
    if (s.status === 'rejected') {
      assert.ok(s.reason instanceof BusError && s.reason.retriable, `retriable: ${String(s.reason)}`);
    }
  }
  t.diagnostic(
    `${settled.filter((s) => s.status === 'rejected').length} of 5 in flight failed with the broker`,
  );
  await bus.start();
  // As the publisher does: what was not acknowledged is sent again, in order, with the same stamps.
  for (let b = 0; b < batches.length; b++) {
    if (acknowledged.has(b)) continue;
    await waitFor(
      () =>
        send(b).then(
          () => true,
          () => false,
        ),
      {
        what: `batch ${b} delivered after the restart`,
        deadlineMs: 120_000,
        everyMs: 100,
      },
    );
  }
  assert.deepEqual(await values(bus.bootstrap, topic), range(4000), 'every record once, in order');
});

test('acks 0: no response is awaited; the batches still arrive, in order', async (t) => {
  const target = await startTarget();
  t.after(() => target.stop());
  const topic = uniqueTopic('broker-connection-acks0');
  await target.createTopic(topic, 1);
  const producer = createBusProducer(
    { bootstrap: target.bootstrap.split(',') },
    { acks: 0, idempotent: false },
  );
  t.after(() => producer.close());
  for (let b = 0; b < 10; b++) await producer.sendBatch!(topic, sealed(b * 10, 10));
  await waitFor(async () => (await values(target.bootstrap, topic)).length === 100, {
    what: 'the 100 records of acks-0 batches stored',
  });
  assert.deepEqual(await values(target.bootstrap, topic), range(100));
});
