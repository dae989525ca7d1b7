// BrokerConnection against brokers that misbehave on purpose: a TCP server on loopback that answers
// ApiVersions as told, then garbage, nothing, or a closed socket. (The real brokers are in
// test/integration/sdk-broker-connection.test.ts.)
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { FrameDecoder } from '../../../src/protocol/frame-decoder.ts';
import {
  decodeRequestHeader,
  encodeResponse,
  type DecodedRequestHeader,
} from '../../../src/protocol/headers.ts';
import { ApiVersionsApi } from '../../../src/protocol/messages/index.ts';
import { Reader } from '../../../src/protocol/reader.ts';
import {
  BrokerConnection,
  BrokerConnections,
  ConnectionError,
} from '../../../src/sdk/kafka/broker-connection.ts';

type Answer = (socket: Socket, header: DecodedRequestHeader) => void;

/** A server that hands every request it reads to `answer`. */
async function fakeBroker(t: TestContext, answer: Answer): Promise<{ port: number; server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const frames = new FrameDecoder(64 << 20);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of frames.push(chunk)) answer(socket, decodeRequestHeader(new Reader(frame)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as { port: number }).port, server };
}

function apiVersions(socket: Socket, header: DecodedRequestHeader, produceMax = 11, produceMin = 0): void {
  socket.write(
    encodeResponse(ApiVersionsApi, 0, header.correlationId, {
      errorCode: 0,
      apiKeys: [
        { apiKey: 0, minVersion: produceMin, maxVersion: produceMax },
        { apiKey: 18, minVersion: 0, maxVersion: 3 },
      ],
      throttleTimeMs: 0,
    }),
  );
}

/** A Produce answer: `body` after the correlation id and an empty tag section (v9+ header). */
function frame(correlationId: number, body: Buffer): Buffer {
  const out = Buffer.alloc(9 + body.length);
  out.writeInt32BE(5 + body.length, 0);
  out.writeInt32BE(correlationId, 4);
  out[8] = 0;
  body.copy(out, 9);
  return out;
}

const options = (port: number) => ({
  host: '127.0.0.1',
  port,
  clientId: 'test',
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
});

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp, retriable = true): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ConnectionError, `a ConnectionError, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.equal(error.retriable, retriable, `retriable: ${error.message}`);
    return true;
  });
}

const produce = (c: BrokerConnection) =>
  c.request(0, c.produceVersion, [Buffer.from('not really a produce body')], false, (r) => r.int32());

test('negotiates the highest Produce version both sides speak', async (t) => {
  const { port } = await fakeBroker(t, (s, h) => apiVersions(s, h, 13));
  const c = await BrokerConnection.connect(options(port));
  t.after(() => c.close());
  assert.equal(c.produceVersion, 11, 'capped at what our codec encodes');
  const { port: older } = await fakeBroker(t, (s, h) => apiVersions(s, h, 7));
  const d = await BrokerConnection.connect(options(older));
  t.after(() => d.close());
  assert.equal(d.produceVersion, 7);
});

test('a broker without Produce v3+ is refused, not retried', async (t) => {
  const { port } = await fakeBroker(t, (s, h) => apiVersions(s, h, 2));
  await rejectsWith(
    BrokerConnection.connect(options(port)),
    /answers Produce v0-2; this client sends Produce v3-v?11/,
    false,
  );
});

test('garbage: a wrong correlation id, an undecodable body, an impossible frame size', async (t) => {
  const wrongId = await fakeBroker(t, (s, h) => s.write(frame(h.correlationId + 7, Buffer.alloc(0))));
  await rejectsWith(
    BrokerConnection.connect(options(wrongId.port)),
    /127\.0\.0\.1:\d+ sent a response with correlation id 8 where 1 was next/,
  );

  const truncated = await fakeBroker(t, (s, h) =>
    h.apiKey === 18 ? apiVersions(s, h) : s.write(frame(h.correlationId, Buffer.from([0, 0]))),
  );
  const c = await BrokerConnection.connect(options(truncated.port));
  await rejectsWith(produce(c), /sent a Produce v11 response that does not decode: /);
  assert.ok(c.failure, 'the connection is closed after garbage');
  await rejectsWith(produce(c), /does not decode/);

  const huge = await fakeBroker(t, (s) => s.write(Buffer.from([0x7f, 0xff, 0xff, 0xff])));
  await rejectsWith(
    BrokerConnection.connect(options(huge.port)),
    /frame size prefix 2147483647 exceeds the limit/,
  );
});

test('no answer within the request timeout: every request in flight fails, retriably', async (t) => {
  const { port } = await fakeBroker(t, (s, h) => (h.apiKey === 18 ? apiVersions(s, h) : undefined));
  const c = await BrokerConnection.connect({ ...options(port), requestTimeoutMs: 200 });
  const pending = [produce(c), produce(c), produce(c)];
  await rejectsWith(
    pending[0],
    /no response to Produce v11 \(correlation id 2\) from 127\.0\.0\.1:\d+ within 200 ms/,
  );
  await rejectsWith(pending[1], /within 200 ms/);
  await rejectsWith(pending[2], /within 200 ms/);
});

test('the broker closing the connection mid-flight fails what is pending; the pool reconnects', async (t) => {
  let connections = 0;
  let answered = 0;
  const { port } = await fakeBroker(t, (s, h) => {
    if (h.apiKey === 18) {
      connections++;
      return apiVersions(s, h);
    }
    // The first Produce is answered, the second kills the connection (the third is in flight then).
    if (++answered === 1) s.write(frame(h.correlationId, Buffer.from([0, 0, 0, 42])));
    else if (answered === 2) s.destroy();
    else s.write(frame(h.correlationId, Buffer.from([0, 0, 0, 43])));
  });
  const pool = new BrokerConnections({ clientId: 'test', connectTimeoutMs: 5_000, requestTimeoutMs: 10_000 });
  t.after(() => pool.close());
  const c = await pool.get({ host: '127.0.0.1', port });
  const results = await Promise.allSettled([produce(c), produce(c), produce(c)]);
  assert.deepEqual(results[0], { status: 'fulfilled', value: 42 });
  for (const r of results.slice(1)) {
    assert.equal(r.status, 'rejected');
    assert.ok(r.reason instanceof ConnectionError && r.reason.retriable, String(r.reason));
    assert.match(r.reason.message, /connection to 127\.0\.0\.1:\d+ (closed by the broker|failed: )/);
  }
  const again = await pool.get({ host: '127.0.0.1', port });
  assert.notEqual(again, c, 'a new connection after the loss');
  assert.equal(await produce(again), 43);
  assert.equal(connections, 2);
});

test('a refused connection is a retriable ConnectionError', async (t) => {
  const { port, server } = await fakeBroker(t, () => undefined);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await assert.rejects(BrokerConnection.connect(options(port)), (error: unknown) => {
    assert.ok(error instanceof ConnectionError && error.retriable);
    assert.equal(error.code, 'ECONNREFUSED');
    return true;
  });
});

test('a broker that reads slowly: requests wait for the socket to drain and go out whole, in order', async (t) => {
  const seen: number[] = [];
  let paused: Socket | undefined;
  const { port } = await fakeBroker(t, (s, h) => {
    if (h.apiKey === 18) {
      apiVersions(s, h);
      // Stop reading: the client's socket fills up and must wait for 'drain'.
      s.pause();
      paused = s;
      return;
    }
    seen.push(h.correlationId);
    s.write(frame(h.correlationId, Buffer.from([0, 0, 0, h.correlationId])));
  });
  const c = await BrokerConnection.connect(options(port));
  t.after(() => c.close());
  const big = Buffer.alloc(4 << 20, 7);
  const pending = Array.from({ length: 8 }, () =>
    c.request(0, c.produceVersion, [big, big], false, (r) => r.int32()),
  );
  assert.ok(paused, 'the broker stopped reading');
  paused.resume();
  assert.deepEqual(await Promise.all(pending), [2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(seen, [2, 3, 4, 5, 6, 7, 8, 9]);
});
