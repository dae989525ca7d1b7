import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CONTENT_TYPE,
  decodeEnvelope,
  encodeEnvelope,
  type Envelope,
  envelopeHeaders,
  envelopePrefix,
  envelopeText,
  seriesKey,
} from '../../../src/sdk/telemetry/envelope.ts';
import { EnvelopeDecodeError, type EnvelopeDecodeErrorCode } from '../../../src/sdk/telemetry/errors.ts';

const base = {
  v: 1 as const,
  service: 'checkout',
  producer: 'checkout-h-1-ab',
  stream: 'metrics',
  seq: 7,
  ts: 1_700_000_000_000,
};
const samples: Envelope[] = [
  {
    ...base,
    kind: 'metric',
    data: {
      name: 'http.requests',
      unit: '{request}',
      attributes: { method: 'GET', ok: true },
      startTs: 1,
      ts: 2,
      type: 'sum',
      temporality: 'delta',
      monotonic: true,
      value: 3,
    },
  },
  {
    ...base,
    kind: 'metric',
    data: { name: 'queue.depth', attributes: {}, startTs: 1, ts: 2, type: 'gauge', value: -4.5 },
  },
  {
    ...base,
    kind: 'metric',
    data: {
      name: 'latency',
      unit: 'ms',
      attributes: { route: '/a' },
      startTs: 1,
      ts: 2,
      type: 'histogram',
      temporality: 'delta',
      bounds: [10, 100],
      counts: [1, 0, 2],
      count: 3,
      sum: 512,
      min: 2,
      max: 300,
    },
  },
  {
    ...base,
    stream: 'logs',
    kind: 'log',
    data: { level: 'warn', message: 'slow', fields: { ms: 120, nested: { a: [1] } } },
  },
  {
    ...base,
    stream: 'events',
    kind: 'event',
    data: { type: 'order.placed', key: 'order-1', payload: { total: 12.5 } },
  },
  { ...base, stream: 'events', kind: 'event', data: { type: 'deploy', payload: null } },
];

test('every kind round-trips through encode and decode unchanged', () => {
  for (const envelope of samples) assert.deepEqual(decodeEnvelope(encodeEnvelope(envelope)), envelope);
  assert.deepEqual(decodeEnvelope(encodeEnvelope(samples[0]).toString()), samples[0]);
});

test('unknown fields are ignored at every level (v1 grows additively)', () => {
  const json = JSON.parse(encodeEnvelope(samples[2]).toString()) as Record<string, Record<string, unknown>>;
  json.traceId = { x: 1 };
  json.data.exemplars = [];
  const decoded = decodeEnvelope(JSON.stringify(json));
  assert.equal(decoded.kind, 'metric');
  assert.equal((decoded as unknown as Record<string, unknown>).traceId, undefined);
});

test('headers carry producer, stream, sequence and content type; keys are the series or the entity', () => {
  const headers = envelopeHeaders(samples[0]);
  assert.equal(headers['content-type'].toString(), CONTENT_TYPE);
  assert.equal(CONTENT_TYPE, 'application/vnd.sluice.v1+json');
  assert.equal(headers['sluice-producer'].toString(), 'checkout-h-1-ab');
  assert.equal(headers['sluice-stream'].toString(), 'metrics');
  assert.equal(headers['sluice-seq'].toString(), '7');
  assert.equal(
    seriesKey('http.requests', { ok: true, method: 'GET' }),
    'http.requests{method="GET",ok=true}',
  );
  assert.equal(seriesKey('up', {}), 'up');
});

function rejects(
  value: string | Buffer | null,
  code: EnvelopeDecodeErrorCode,
  path: string,
  reason?: RegExp,
): void {
  assert.throws(
    () => decodeEnvelope(value),
    (error: unknown) => {
      assert.ok(error instanceof EnvelopeDecodeError, String(error));
      assert.equal(error.code, code);
      assert.equal(error.path, path);
      if (reason) assert.match(error.reason, reason);
      assert.ok(error.message.includes(path));
      return true;
    },
  );
}

type Data = Record<string, unknown> & {
  counts: unknown[];
  bounds: unknown[];
  attributes: Record<string, unknown>;
};
type Json = Record<string, unknown> & { data?: Data };

function mutate(envelope: Envelope, change: (json: Json) => void): string {
  const json = JSON.parse(JSON.stringify(envelope)) as Json;
  change(json);
  return JSON.stringify(json);
}

test('bad records are rejected with a typed error naming what is wrong and where', () => {
  rejects('not json {', 'not-json', '$', /not JSON/);
  rejects(Buffer.from([0xff, 0xfe]), 'not-json', '$');
  rejects(null, 'not-json', '$', /tombstone/);
  rejects('[1,2]', 'schema', '$', /must be an object/);
  rejects(
    mutate(samples[0], (j) => delete j.v),
    'schema',
    '$.v',
    /must be 1, got nothing/,
  );
  rejects(
    mutate(samples[0], (j) => (j.v = '1')),
    'schema',
    '$.v',
  );
  rejects(
    mutate(samples[0], (j) => (j.v = 2)),
    'unsupported-version',
    '$.v',
    /version 2/,
  );
  rejects(
    mutate(samples[0], (j) => (j.kind = 'trace')),
    'unsupported-kind',
    '$.kind',
    /"trace"/,
  );
  rejects(
    mutate(samples[0], (j) => (j.kind = 3)),
    'schema',
    '$.kind',
  );
  rejects(
    mutate(samples[0], (j) => (j.service = '')),
    'schema',
    '$.service',
  );
  rejects(
    mutate(samples[0], (j) => (j.seq = -1)),
    'schema',
    '$.seq',
    /non-negative integer, got -1/,
  );
  rejects(
    mutate(samples[0], (j) => (j.seq = 1.5)),
    'schema',
    '$.seq',
  );
  rejects(
    mutate(samples[0], (j) => (j.ts = '2026-01-01')),
    'schema',
    '$.ts',
  );
  rejects(
    mutate(samples[0], (j) => delete j.data),
    'schema',
    '$.data',
    /must be an object/,
  );
  rejects(
    mutate(samples[0], (j) => (j.data!.value = 'NaN')),
    'schema',
    '$.data.value',
    /finite number/,
  );
  rejects(
    mutate(samples[0], (j) => (j.data!.temporality = 'cumulative')),
    'schema',
    '$.data.temporality',
  );
  rejects(
    mutate(samples[0], (j) => (j.data!.attributes.x = [1])),
    'schema',
    '$.data.attributes.x',
  );
  rejects(
    mutate(samples[0], (j) => (j.data!.type = 'exponential_histogram')),
    'unsupported-kind',
    '$.data.type',
  );
  rejects(
    mutate(samples[2], (j) => j.data!.counts.pop()),
    'schema',
    '$.data.counts',
    /bounds.length \+ 1 = 3/,
  );
  rejects(
    mutate(samples[2], (j) => (j.data!.counts[1] = -1)),
    'schema',
    '$.data.counts[1]',
  );
  rejects(
    mutate(samples[2], (j) => (j.data!.count = 4)),
    'schema',
    '$.data.count',
    /sum of counts/,
  );
  rejects(
    mutate(samples[2], (j) => (j.data!.bounds[0] = null)),
    'schema',
    '$.data.bounds[0]',
  );
  rejects(
    mutate(samples[3], (j) => (j.data!.level = 'fatal')),
    'schema',
    '$.data.level',
    /debug, info, warn, error/,
  );
  rejects(
    mutate(samples[3], (j) => (j.data!.message = 1)),
    'schema',
    '$.data.message',
  );
  rejects(
    mutate(samples[3], (j) => (j.data!.fields = [])),
    'schema',
    '$.data.fields',
  );
  rejects(
    mutate(samples[4], (j) => delete j.data!.payload),
    'schema',
    '$.data.payload',
    /missing/,
  );
  rejects(
    mutate(samples[4], (j) => (j.data!.key = 5)),
    'schema',
    '$.data.key',
  );
  rejects(
    mutate(samples[4], (j) => (j.data!.type = '')),
    'schema',
    '$.data.type',
  );
});

test('the prepared envelope text is byte for byte what encodeEnvelope writes', () => {
  const data = {
    type: 'order.placed',
    key: 'o-1',
    payload: { total: 42.5, note: 'ü "quoted"', items: [1, null] },
  };
  const envelope = {
    v: 1,
    kind: 'event',
    service: 'shop "eu"',
    producer: 'p-1',
    stream: 'events',
    seq: 17,
    ts: 1_700_000_000_123,
    data,
  } as const;
  const prefix = envelopePrefix('event', 'shop "eu"', 'p-1', 'events');
  assert.equal(envelopeText(prefix, 17, 1_700_000_000_123, data), encodeEnvelope(envelope).toString());
});
