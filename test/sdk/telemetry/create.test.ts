// createTelemetry over the real Publisher: defaults, config errors, and a bus that is not there at all.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  createTelemetry,
  DEFAULT_BREAKER,
  DEFAULT_BUFFER,
  resolveStreamOptions,
  type CreateTelemetryOptions,
} from '../../../src/sdk/telemetry/create.ts';
import { TelemetryConfigError } from '../../../src/sdk/telemetry/errors.ts';

const bus = { bootstrap: ['127.0.0.1:9092'] };

test("stream options: defaults, then the shared bus/logger/registry, then the stream's own", () => {
  const registry = new Registry();
  const options: CreateTelemetryOptions = {
    service: 'checkout',
    bus,
    metrics: registry,
    streams: {
      metrics: { topic: 'm' },
      logs: {
        topic: 'l',
        acks: 1,
        breaker: { consecutiveFailures: 9 },
        bus: { bootstrap: ['other:9092'], clientId: 'mine' },
      },
    },
  };
  const metrics = resolveStreamOptions(options, 'metrics');
  assert.deepEqual(
    { ...metrics, metrics: undefined },
    {
      stream: 'metrics',
      topic: 'm',
      bus: { bootstrap: ['127.0.0.1:9092'], clientId: 'checkout-metrics' },
      acks: -1,
      idempotent: true,
      lingerMs: 5,
      maxBatchBytes: 512 * 1024,
      breaker: { ...DEFAULT_BREAKER },
      buffer: DEFAULT_BUFFER,
      metrics: undefined,
    },
  );
  assert.equal(metrics.metrics, registry);
  const logs = resolveStreamOptions(options, 'logs');
  assert.deepEqual(logs.bus, { bootstrap: ['other:9092'], clientId: 'mine' });
  assert.equal(logs.acks, 1);
  assert.equal(logs.idempotent, false, 'idempotence needs acks -1, so a lower acks turns the default off');
  assert.deepEqual(logs.breaker, { ...DEFAULT_BREAKER, consecutiveFailures: 9 });
});

test('config errors name the stream and the option', async () => {
  await assert.rejects(
    createTelemetry({ service: 's', streams: { metrics: { topic: 'm' } } }),
    /streams.metrics has no bus/,
  );
  await assert.rejects(
    createTelemetry({ service: 's', bus, streams: { metrics: { topic: '' } } }),
    /streams.metrics.topic must be/,
  );
  await assert.rejects(
    createTelemetry({ service: 's', bus, streams: { metrics: null as never } }),
    TelemetryConfigError,
  );
  await assert.rejects(createTelemetry({ service: 's', bus, streams: {} }), /at least one stream/);
  // the publisher's own checks come through as they are
  await assert.rejects(
    createTelemetry({ service: 's', bus, streams: { metrics: { topic: 'm', maxBatchBytes: 0 } } }),
    /maxBatchBytes/,
  );
});

test('a bus that is not there: createTelemetry resolves, calls return, close is bounded and reports the loss', async () => {
  // a port that refuses connections: listen, take the port, close
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));

  const telemetry = await createTelemetry({
    service: 'lonely',
    bus: { bootstrap: [`127.0.0.1:${port}`], connectTimeoutMs: 200, requestTimeoutMs: 500 },
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
    streams: { metrics: { topic: 'm' }, events: { topic: 'e' } },
  });
  for (let i = 0; i < 100; i++) {
    telemetry.metrics.counter('attempts', 1, { i: i % 3 });
    assert.equal(telemetry.events.emit('tick', { i }), 'accepted');
  }
  const report = await telemetry.close(300);
  assert.notEqual(report.events.status, 'drained');
  assert.notEqual(report.metrics.status, 'drained');
  assert.equal(
    report.events.droppedOnClose,
    100,
    'a memory buffer drops what it could not send, and says so',
  );
  assert.equal(report.metrics.droppedOnClose, 3);
});
