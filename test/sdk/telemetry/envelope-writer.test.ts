// Envelopes written in pieces (envelope-writer.ts) are byte for byte what encodeEnvelope writes: alone, and
// through the real publisher into record batches (multi-byte text, strings JSON must escape, keys and
// messages too long to be looked at, sequence numbers past 32 bits, the clock moving, many types).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EnvelopeEncoder } from '../../../src/sdk/telemetry/envelope-writer.ts';
import {
  encodeEnvelope,
  type Envelope,
  type EventRecord,
  HEADER_SEQUENCE,
  type LogLevel,
} from '../../../src/sdk/telemetry/envelope.ts';
import { openTelemetry } from '../../../src/sdk/telemetry/telemetry.ts';
import type { JsonValue } from '../../../src/sdk/telemetry/validate.ts';
import { FakeBus } from '../publisher/fakes.ts';
import { rig } from '../publisher/helpers.ts';

const SERVICE = 'shop "eü"';
const PRODUCER = 'p-1\u00e9';
const STREAM = 'events';

function eventEnvelope(seq: number, ts: number, data: EventRecord): Envelope {
  return { v: 1, kind: 'event', service: SERVICE, producer: PRODUCER, stream: STREAM, seq, ts, data };
}

const keys: (string | undefined)[] = [
  undefined,
  'o-1',
  '',
  'ключ-🔑',
  'with "quotes" and \\ backslash',
  'tab\tand\nnewline\u0001',
  'lone \ud800 surrogate',
  'k'.repeat(65),
  'x'.repeat(64),
  '~ DEL \u007f',
];
const payloads: JsonValue[] = [
  { total: 42.5, note: 'ü "quoted"', items: [1, null, true] },
  'just a string with 日本語',
  null,
  [],
  { deep: { er: { emoji: '🚀', broken: '\udc00' } } },
  -0,
  1e21,
];
const types = ['order.placed', 'заказ.создан', 'a"b', 't'];

test('events: every type, key and payload encodes exactly as encodeEnvelope', () => {
  const encoder = new EnvelopeEncoder(SERVICE, PRODUCER, STREAM);
  const seqs = [0, 9, 10, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER];
  let i = 0;
  for (const type of types) {
    for (const key of keys) {
      for (const payload of payloads) {
        const seq = seqs[i % seqs.length];
        const ts = 1_700_000_000_000 + (i >> 2); // the clock moves every fourth record
        i++;
        const value = encoder.event(seq, ts, type, key, JSON.stringify(payload));
        const data: EventRecord = key === undefined ? { type, payload } : { type, key, payload };
        const expected = encodeEnvelope(eventEnvelope(seq, ts, data));
        assert.equal(value.byteLength, expected.length, `length of ${JSON.stringify(data)}`);
        assert.deepEqual(value.toBuffer(), expected, `bytes of ${JSON.stringify(data)}`);
        // Written at an offset into a larger buffer: exactly its bytes, nothing around them touched.
        const buf = Buffer.alloc(expected.length + 10, 0xaa);
        assert.equal(value.writeTo(buf, 3), 3 + expected.length);
        assert.deepEqual(buf.subarray(3, 3 + expected.length), expected);
        assert.ok(buf.subarray(0, 3).every((b) => b === 0xaa));
        assert.ok(buf.subarray(3 + expected.length).every((b) => b === 0xaa));
      }
    }
  }
});

test('logs: every level and message encodes exactly as encodeEnvelope', () => {
  const encoder = new EnvelopeEncoder(SERVICE, PRODUCER, 'logs');
  const messages = ['request served', '', 'ошибка: "x"\n', 'm'.repeat(200), 'emoji 🚀'];
  const fields: ({ [key: string]: JsonValue } | undefined)[] = [
    undefined,
    {},
    { n: 1, s: 'ü', nested: [{ a: null }] },
  ];
  let seq = 0;
  for (const level of ['debug', 'info', 'warn', 'error'] as LogLevel[]) {
    for (const message of messages) {
      for (const f of fields) {
        const ts = 1_700_000_000_000 + seq;
        const value = encoder.log(seq, ts, level, message, f === undefined ? '{}' : JSON.stringify(f));
        const expected = encodeEnvelope({
          v: 1,
          kind: 'log',
          service: SERVICE,
          producer: PRODUCER,
          stream: 'logs',
          seq,
          ts,
          data: { level, message, fields: f ?? {} },
        });
        assert.equal(value.byteLength, expected.length);
        assert.deepEqual(value.toBuffer(), expected, `${level} ${JSON.stringify(message)}`);
        seq++;
      }
    }
  }
});

test('more event types than the encoder keeps: still exact after its cache is cleared', () => {
  const encoder = new EnvelopeEncoder(SERVICE, PRODUCER, STREAM);
  for (let i = 0; i < 2100; i++) {
    const type = `type.${i % 1500}`;
    const expected = encodeEnvelope(eventEnvelope(i, 5, { type, key: 'k', payload: i }));
    assert.deepEqual(encoder.event(i, 5, type, 'k', String(i)).toBuffer(), expected);
  }
});

test('through the real publisher: the records in the batches are the envelopes, keys and headers', async () => {
  const bus = new FakeBus();
  // Small batches, so that records land at the end of one batch and the start of the next.
  const r = await rig(
    { maxBatchBytes: 4096, lingerMs: 1000, buffer: { kind: 'memory', maxBytes: 1 << 20, whenFull: 'block' } },
    bus,
  );
  let now = 1_700_000_000_000;
  const telemetry = await openTelemetry({
    service: SERVICE,
    producerId: PRODUCER,
    streams: { events: {}, logs: {} },
    openPublisher: () => Promise.resolve(r.publisher),
    now: () => now++,
  });
  const expected: { key: string; value: Buffer; seq: number }[] = [];
  let seq = 0;
  for (let round = 0; round < 20; round++) {
    for (const key of keys.filter((k) => k !== '')) {
      const payload = payloads[seq % payloads.length];
      const type = types[seq % types.length];
      assert.equal(telemetry.events.emit(type, payload, key === undefined ? undefined : { key }), 'accepted');
      const data: EventRecord = key === undefined ? { type, payload } : { type, key, payload };
      expected.push({ key: key ?? type, value: encodeEnvelope(eventEnvelope(seq, now - 1, data)), seq });
      seq++;
    }
  }
  const report = await telemetry.flush(5000);
  assert.equal(report.events.status, 'drained');
  assert.ok(bus.attempts.length > 5, 'the records spanned several batches');
  assert.equal(bus.delivered.length, expected.length);
  bus.delivered.forEach((record, i) => {
    assert.equal(record.key?.toString(), Buffer.from(expected[i].key).toString(), `key ${i}`);
    assert.deepEqual(record.value, expected[i].value, `value ${i}`);
    assert.equal(record.headers[HEADER_SEQUENCE].toString(), String(expected[i].seq));
  });
  await telemetry.close(1000);
});

test('an event larger than maxBatchBytes: refused by the publisher, counted as failed, never half-written', async () => {
  const bus = new FakeBus();
  const r = await rig(
    { maxBatchBytes: 1024, lingerMs: 1000, buffer: { kind: 'memory', maxBytes: 1 << 20, whenFull: 'block' } },
    bus,
  );
  const errors: unknown[] = [];
  const telemetry = await openTelemetry({
    service: 's',
    streams: { events: {} },
    openPublisher: () => Promise.resolve(r.publisher),
    onError: (error) => errors.push(error),
  });
  assert.equal(telemetry.events.emit('small', { n: 1 }), 'accepted');
  assert.equal(telemetry.events.emit('big', { text: 'ü'.repeat(600) }), 'dropped');
  assert.equal(telemetry.events.emit('small', { n: 2 }), 'accepted');
  assert.match(String(errors[0]), /maxBatchBytes/);
  assert.equal(telemetry.stats().events.failed, 1);
  await telemetry.flush(5000);
  assert.deepEqual(
    bus.delivered.map((d) => (JSON.parse(d.value.toString()) as { data: { payload: unknown } }).data.payload),
    [{ n: 1 }, { n: 2 }],
  );
  await telemetry.close(1000);
});
