// A client that pipelines a great many Fetch requests for a big partition and never reads its socket.
// The broker (a child process, so its memory is its own) must stop reading from that connection once its
// request queue is full, keep at most a response or two for it, stay within a bounded memory, and keep
// serving everyone else, big fetches included; when the client goes away, the stuck connection is freed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { startBroker } from '../../src/broker/broker.ts';
import { encodeRequest } from '../../src/protocol/headers.ts';
import { ApiVersionsApi, FetchApi } from '../../src/protocol/messages/index.ts';
import { buildRecordBatch } from '../../src/protocol/record-batch.ts';
import { startBrokerProcess } from '../helpers/broker-process.ts';
import { tempDir } from '../helpers/broker.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { fetchAll, fetchRequest, produce, FETCH_VERSION } from '../helpers/records-io.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { plainSocket, SOFTWARE } from './bad-input-harness.ts';

const MiB = 1024 * 1024;
const PARTITION_BYTES = 8 * MiB;
/** The broker pauses a connection whose queued requests pass 16 MiB (src/broker/server/connection.ts). */
const REQUEST_QUEUE_LIMIT = 16 * MiB;
/** Far more requests than the broker should ever take in from a client that reads nothing. */
const PIPELINED_BYTES = 64 * MiB;

/** A partition of ~8 MiB of incompressible records, written in-process before the child starts. */
async function fillBigPartition(dataDir: string): Promise<void> {
  const broker = await startBroker({ port: 0, dataDir, logLevel: 'silent', durability: 'none' });
  try {
    const topic = await broker.context.topics.create('big', 1, {});
    for (let written = 0; written < PARTITION_BYTES; written += 8 * 64 * 1024) {
      const records = Array.from({ length: 8 }, () => ({ value: randomBytes(64 * 1024) }));
      await topic.partitions[0].log.append(buildRecordBatch({ records }));
    }
  } finally {
    await broker.close();
  }
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${name} in /metrics`);
  return Number(m[1]);
}

test('a client that never reads its responses cannot make the broker buffer without bound', async (t) => {
  const dataDir = await tempDir('sluice-slow-reader-');
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  await fillBigPartition(dataDir);
  const broker = await startBrokerProcess(t, { dataDir, admin: true, durability: 'none' });
  const metrics = async (): Promise<string> =>
    (await fetch(`http://127.0.0.1:${broker.adminPort}/metrics`)).text();
  const healthy = await RawClient.connect(broker.port);
  t.after(() => healthy.close());

  // Warm up (the big partition read once, as the slow client's fetches will read it), then the baseline.
  assert.equal((await fetchAll(healthy, 'big', 0)).records.length, PARTITION_BYTES / (64 * 1024));
  const baselineRss = await broker.rssBytes();
  let peakRss = baselineRss;
  const sampler = setInterval(() => {
    broker.rssBytes().then(
      (rss) => (peakRss = Math.max(peakRss, rss)),
      () => undefined,
    );
  }, 25);
  t.after(() => clearInterval(sampler));

  const before = await metrics();
  const receivedBefore = metric(before, 'sluice_broker_received_bytes_total');
  const sentBefore = metric(before, 'sluice_broker_sent_bytes_total');
  const healthyBefore = healthy.bytesReceived;
  // Each request asks for the whole partition; the client never reads a byte of the answers.
  const slow = await plainSocket(broker.port);
  t.after(() => slow.destroy());
  slow.pause();
  const one = encodeRequest(FetchApi, FETCH_VERSION, 1, 'slow-reader', {
    ...fetchRequest('big', 0, 0n, PARTITION_BYTES),
    minBytes: 1,
  });
  const piece = Buffer.concat(Array.from({ length: Math.ceil(MiB / one.length) }, () => one));
  for (let sent = 0; sent < PIPELINED_BYTES; sent += piece.length) slow.write(piece);
  await waitFor(
    async () =>
      metric(await metrics(), 'sluice_broker_received_bytes_total') - receivedBefore >= REQUEST_QUEUE_LIMIT,
    { what: 'the broker to take in a full request queue from the slow client' },
  );

  // Everyone else is served meanwhile: small requests, writes, and the whole big partition again.
  assert.equal((await healthy.request(ApiVersionsApi, 3, SOFTWARE)).errorCode, 0);
  const side = await produce(healthy, 'big', 0, ['written while a client is stuck']);
  assert.equal(side.errorCode, 0);
  const again = await fetchAll(healthy, 'big', 0);
  assert.equal(again.records.at(-1)?.value?.toString(), 'written while a client is stuck');

  const text = await metrics();
  const received = metric(text, 'sluice_broker_received_bytes_total') - receivedBefore;
  const sentToSlow =
    metric(text, 'sluice_broker_sent_bytes_total') - sentBefore - (healthy.bytesReceived - healthyBefore);
  clearInterval(sampler);
  const grown = peakRss - baselineRss;
  t.diagnostic(
    `slow client: ${PIPELINED_BYTES / MiB} MiB of Fetch requests written, broker took in ` +
      `${(received / MiB).toFixed(1)} MiB (all clients) and answered ${(sentToSlow / MiB).toFixed(1)} MiB; broker RSS ${(baselineRss / MiB).toFixed(0)} MiB ` +
      `-> peak ${(peakRss / MiB).toFixed(0)} MiB`,
  );
  // It stopped reading: a chunk past the queue limit, plus the healthy client's few small requests.
  assert.ok(received < REQUEST_QUEUE_LIMIT + 2 * MiB, `broker took in ${received} bytes`);
  // It stopped answering: the first response fills the socket's buffers and the next waits for a drain.
  assert.ok(sentToSlow <= 2 * (PARTITION_BYTES + MiB), `broker answered the slow client ${sentToSlow} bytes`);
  // Queued requests plus a response or two, not thousands of 8 MiB responses.
  assert.ok(grown < 256 * MiB, `broker RSS grew by ${(grown / MiB).toFixed(0)} MiB`);

  // The stuck connection is released when its client goes.
  slow.destroy();
  await waitFor(
    async () => {
      const health = (await (await fetch(`http://127.0.0.1:${broker.adminPort}/healthz`)).json()) as {
        connections: number;
      };
      return health.connections === 1;
    },
    { what: 'the broker to drop the slow connection' },
  );
  healthy.close();
  assert.deepEqual(await broker.stop(), { code: 0, signal: null });
});
