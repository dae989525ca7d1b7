// createBusConsumer when rejoining the group fails: @platformatic/kafka reports that on its consumer's
// 'error' event (not through the stream), and run() must reject with a retriable BusError then, so that
// consume() rebuilds the client instead of stopping. The failure is real: every connection goes through a
// TCP proxy (the broker advertises the proxy's port) that cuts any connection sending a JoinGroup once armed.
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { JoinGroupApi } from '../../src/protocol/messages/index.ts';
import { BusError, createBusConsumer } from '../../src/sdk/kafka-client.ts';
import { joinBody, subscription } from '../broker/handlers/group-helpers.ts';
import { startTestBroker } from '../helpers/broker.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { waitFor } from '../helpers/wait-for.ts';

const JOIN_GROUP = 11;

interface CuttingProxy {
  readonly port: number;
  /** Forwards to the broker at `port` from now on. */
  target(port: number): void;
  /** From now on a connection that sends a request with this API key is cut (the request is not forwarded). */
  cut(apiKey: number): void;
}

async function startCuttingProxy(t: TestContext): Promise<CuttingProxy> {
  let upstreamPort = 0;
  const cutting = new Set<number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', cut);
    upstream.on('close', cut);
    upstream.pipe(client);
    // Client to broker frame by frame: int32 size, then the request header (int16 API key first).
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 6) {
        const size = pending.readInt32BE(0);
        if (pending.length < 4 + size) return;
        const frame = pending.subarray(0, 4 + size);
        pending = pending.subarray(4 + size);
        if (cutting.has(frame.readInt16BE(4))) return cut();
        upstream.write(frame);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    port: (server.address() as { port: number }).port,
    target: (port) => void (upstreamPort = port),
    cut: (apiKey) => void cutting.add(apiKey),
  };
}

test("a failed rejoin of the group (the client's 'error' event) ends run() with a retriable BusError", async (t) => {
  const proxy = await startCuttingProxy(t);
  const broker = await startTestBroker(t, {
    advertisedPort: proxy.port,
    groupInitialRebalanceDelayMs: 0,
    groupMinSessionTimeoutMs: 1000,
  });
  proxy.target(broker.port);
  await broker.context.topics.create('events', 1, {});
  const consumer = createBusConsumer(
    { bootstrap: [`127.0.0.1:${proxy.port}`], connectTimeoutMs: 1000, requestTimeoutMs: 2000 },
    {
      group: 'g1',
      topics: ['events'],
      groupInstanceId: 'member-1',
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 100,
    },
  );
  t.after(() => consumer.close());
  let assigned = false;
  const running = consumer.run({
    onBatch: () => Promise.resolve(),
    onAssigned: () => {
      assigned = true;
      return Promise.resolve();
    },
  });
  const outcome = running.then(
    () => undefined,
    (error: unknown) => error,
  );
  await waitFor(() => assigned, { what: 'the consumer to be assigned its partition' });

  // Another process claims the member's instance id: the coordinator fences the member, whose next
  // heartbeat fails with FENCED_INSTANCE_ID; it rejoins, through the proxy, which now cuts every JoinGroup.
  proxy.cut(JOIN_GROUP);
  const usurper = await RawClient.connect(broker.port);
  t.after(() => usurper.close());
  const claimed = await usurper.request(
    JoinGroupApi,
    5,
    joinBody({
      groupInstanceId: 'member-1',
      sessionTimeoutMs: 6000,
      rebalanceTimeoutMs: 6000,
      protocols: [{ name: 'roundrobin', metadata: subscription('events') }],
    }),
  );
  assert.equal(claimed.errorCode, 0);

  const error = await outcome;
  assert.ok(error instanceof BusError, `run() rejected with ${String(error)}`);
  assert.equal(error.retriable, true, error.message);
  assert.match(error.message, /^group g1: /);
});
