// `sluice broker` as an operator runs it: a real child process on --port 0, inspected with kcat, its admin
// endpoint and a raw client, then stopped with SIGTERM (exit 0 after a clean close) and restarted on the
// same data directory. Needs `npm run build` (npm test runs it first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { encodeRequest } from '../../src/protocol/headers.ts';
import { ApiVersionsApi, CreateTopicsApi, FetchApi } from '../../src/protocol/messages/index.ts';
import { startBrokerProcess } from '../helpers/broker-process.ts';
import { tempDir } from '../helpers/broker.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { fetchAll, fetchRequest, produce, FETCH_VERSION } from '../helpers/records-io.ts';

const run = promisify(execFile);
const NO_SOFTWARE = { clientSoftwareName: 'sluice-test', clientSoftwareVersion: '0' };

async function dataDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await tempDir('sluice-cli-broker-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function connect(t: { after(fn: () => void): void }, port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  t.after(() => client.close());
  return client;
}

async function createTopic(client: RawClient, name: string, partitions: number): Promise<void> {
  const response = await client.request(CreateTopicsApi, 7, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  assert.equal(response.topics[0].errorCode, 0, `CreateTopics ${name}: ${response.topics[0].errorMessage}`);
}

test('sluice broker --port 0 prints the port it bound and answers ApiVersions there', async (t) => {
  const broker = await startBrokerProcess(t, { dataDir: await dataDir(t) });
  assert.ok(broker.port > 0 && broker.port < 65536, `port ${broker.port}`);
  const client = await connect(t, broker.port);
  const versions = await client.request(ApiVersionsApi, 3, NO_SOFTWARE);
  assert.equal(versions.errorCode, 0);
  assert.ok(versions.apiKeys.some((k) => k.apiKey === 18));
  assert.deepEqual(await broker.stop(), { code: 0, signal: null });
});

test('kcat -L lists the broker (as controller) and its topics', async (t) => {
  const broker = await startBrokerProcess(t, { dataDir: await dataDir(t) });
  await createTopic(await connect(t, broker.port), 'listed-by-kcat', 3);
  const { stdout } = await run('kcat', ['-b', `127.0.0.1:${broker.port}`, '-L', '-m', '30'], {
    timeout: 60_000,
  });
  assert.match(stdout, /^ 1 brokers:$/m, stdout);
  assert.match(
    stdout,
    new RegExp(`^  broker 1 at 127\\.0\\.0\\.1:${broker.port} \\(controller\\)$`, 'm'),
    stdout,
  );
  assert.match(stdout, /^ {2}topic "listed-by-kcat" with 3 partitions:$/m, stdout);
  for (const p of [0, 1, 2]) {
    assert.match(stdout, new RegExp(`partition ${p}, leader 1, replicas: 1, isrs: 1`), stdout);
  }
  assert.deepEqual(await broker.stop(), { code: 0, signal: null });
});

test('SIGTERM: a parked fetch is answered, the process exits 0, and an acknowledged record survives', async (t) => {
  const dir = await dataDir(t);
  // durability none: the ack comes before any fsync, so only the shutdown's own sync covers the record.
  const broker = await startBrokerProcess(t, { dataDir: dir, durability: 'none', logLevel: 'info' });
  const client = await connect(t, broker.port);
  await createTopic(client, 'survives-sigterm', 1);
  const acked = await produce(client, 'survives-sigterm', 0, ['acknowledged before SIGTERM']);
  assert.deepEqual(acked, { errorCode: 0, baseOffset: 0n });

  // A long poll that no data will satisfy: shutdown must answer it rather than cut it off. It goes in one
  // write behind an ApiVersions request, so once that is answered the broker holds the Fetch too (a
  // request still on the wire when shutdown starts is not in flight, and may be cut off).
  const poller = await connect(t, broker.port);
  const longPoll = { ...fetchRequest('survives-sigterm', 0, 1n, 1024, 10 * 60_000), minBytes: 1024 };
  poller.write(
    Buffer.concat([
      encodeRequest(ApiVersionsApi, 0, 1, 'poller', NO_SOFTWARE),
      encodeRequest(FetchApi, FETCH_VERSION, 2, 'poller', longPoll),
    ]),
  );
  assert.equal((await poller.receive(ApiVersionsApi, 0, 1)).errorCode, 0);
  const polled = poller.receive(FetchApi, FETCH_VERSION, 2);
  const signalledAt = Date.now();
  const exit = await broker.stop();
  t.diagnostic(`exited ${Date.now() - signalledAt} ms after SIGTERM`);
  assert.deepEqual(exit, { code: 0, signal: null }, broker.stderr());
  const answer = await polled;
  assert.equal(answer.responses[0].partitions[0].errorCode, 0);
  assert.equal(answer.responses[0].partitions[0].records?.length, 0);
  assert.match(broker.stderr(), /"msg":"broker stopped"/);

  const again = await startBrokerProcess(t, { dataDir: dir });
  const contents = await fetchAll(await connect(t, again.port), 'survives-sigterm', 0);
  assert.equal(contents.highWatermark, 1n);
  assert.deepEqual(
    contents.records.map((r) => [r.offset, r.value?.toString()]),
    [[0n, 'acknowledged before SIGTERM']],
  );
  assert.deepEqual(await again.stop(), { code: 0, signal: null });
});

test('SIGINT also shuts down cleanly with exit code 0', async (t) => {
  const broker = await startBrokerProcess(t, { dataDir: await dataDir(t) });
  assert.deepEqual(await broker.kill('SIGINT'), { code: 0, signal: null });
});

test('--admin-port 0 prints the admin endpoint, which serves /healthz and /metrics', async (t) => {
  const broker = await startBrokerProcess(t, { dataDir: await dataDir(t), admin: true });
  assert.ok(broker.adminPort !== undefined && broker.adminPort > 0, broker.stdout());
  const base = `http://127.0.0.1:${broker.adminPort}`;
  await (await connect(t, broker.port)).request(ApiVersionsApi, 3, NO_SOFTWARE);

  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { ok: boolean }).ok, true);

  const metrics = await fetch(`${base}/metrics`);
  assert.equal(metrics.status, 200);
  const text = await metrics.text();
  assert.match(text, /^# TYPE sluice_broker_requests_total counter$/m);
  assert.match(text, /^sluice_broker_requests_total\{api="ApiVersions",error="NONE"\} 1$/m, text);
  // prom-client's default metrics under the broker's prefix (hence the doubled "process_").
  assert.match(text, /^sluice_broker_process_resident_memory_bytes \d+/m);
  assert.equal((await fetch(`${base}/nothing-here`)).status, 404);
  assert.deepEqual(await broker.stop(), { code: 0, signal: null });
});
