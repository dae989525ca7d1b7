// Every generated message in every version round-trips random values built from its schema
// descriptor: decode(encode(x)) deep-equals x, and re-encoding the decoded value gives the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { Reader } from '../../src/protocol/reader.ts';
import { Writer } from '../../src/protocol/writer.ts';
import { apiForKey, apis, messageCodecs, type MessageCodec } from '../../src/protocol/messages/index.ts';
import { Rng, SEED, ValueGenerator, versionCount } from './schema-values.ts';

const ROUNDS_PER_VERSION = 25;

function roundTrip(codec: MessageCodec<unknown>, version: number, value: unknown): void {
  const w = new Writer(16);
  codec.encode(w, version, value);
  const bytes = Buffer.from(w.toBuffer());
  const r = new Reader(bytes);
  const decoded = codec.decode(r, version);
  assert.equal(r.remaining, 0, 'decoding consumed every byte');
  assert.deepStrictEqual(decoded, value);
  const again = new Writer(16);
  codec.encode(again, version, decoded);
  assert.deepStrictEqual(again.toBuffer(), bytes, 'encode(decode(bytes)) equals bytes');
}

test(`every message × version round-trips random values (seed ${SEED})`, async (t) => {
  let cases = 0;
  for (const codec of messageCodecs) {
    await t.test(codec.name, () => {
      // One stream per message, so adding a message does not change the values of the others.
      const rng = new Rng(SEED ^ [...codec.name].reduce((h, c) => Math.imul(h, 31) + c.charCodeAt(0), 7));
      const values = new ValueGenerator(rng);
      for (let version = codec.minVersion; version <= codec.maxVersion; version++) {
        for (let round = 0; round < ROUNDS_PER_VERSION; round++) {
          const value = values.message(codec.schema, version);
          try {
            roundTrip(codec, version, value);
          } catch (err) {
            const shown = inspect(value, { depth: 8, maxArrayLength: 10, breakLength: 120 });
            assert.fail(
              `${codec.name} v${version}, round ${round}, SLUICE_TEST_SEED=${SEED}: ${(err as Error).message}\nvalue: ${shown}`,
            );
          }
          cases++;
        }
      }
    });
  }
  t.diagnostic(
    `${messageCodecs.length} messages, ${versionCount(messageCodecs.map((c) => c.schema))} message versions, ${cases} round trips`,
  );
});

test('the apis table pairs each request with its response under its API key', () => {
  const keys = Object.keys(apis).map(Number);
  assert.equal(keys.length, 76);
  for (const key of keys) {
    const api = apiForKey(key);
    assert.ok(api);
    assert.equal(api.apiKey, key);
    assert.equal(api.request.schema.apiKey, key);
    assert.equal(api.response.schema.apiKey, key);
    assert.equal(api.request.name, `${api.name}Request`);
    assert.equal(api.response.name, `${api.name}Response`);
    assert.equal(api.request.maxVersion, api.maxVersion);
  }
  assert.equal(apiForKey(9999), undefined);
  assert.equal(apiForKey(-1), undefined);
  assert.equal(apis[0].name, 'Produce');
  assert.equal(apis[18].flexibleMinVersion, 3);
  assert.equal(apis[17].flexibleMinVersion, null, 'SaslHandshake is never flexible');
});

test('fields absent from a version decode to their defaults', () => {
  // ProduceResponse v0 has no throttle, log-append time, log start offset, record errors or message.
  const w = new Writer();
  apis[0].response.encode(w, 0, {
    responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 5n }] }],
  } as never);
  const decoded = apis[0].response.decode(new Reader(w.toBuffer()), 0);
  assert.deepStrictEqual(decoded, {
    responses: [
      {
        name: 't',
        partitionResponses: [
          {
            index: 0,
            errorCode: 0,
            baseOffset: 5n,
            logAppendTimeMs: -1n,
            logStartOffset: -1n,
            recordErrors: [],
            errorMessage: null,
          },
        ],
      },
    ],
    throttleTimeMs: 0,
  });
});

test('tagged fields equal to their default are not sent; unknown tags merge in tag order', () => {
  const api = apis[18];
  const base = { errorCode: 0, apiKeys: [], throttleTimeMs: 0 };
  const encode = (m: object) => {
    const w = new Writer();
    api.response.encode(w, 3, m as never);
    return Buffer.from(w.toBuffer());
  };
  // finalizedFeaturesEpoch defaults to -1 and zkMigrationReady to false: both stay off the wire.
  assert.deepStrictEqual(
    encode({ ...base, finalizedFeaturesEpoch: -1n, zkMigrationReady: false }),
    encode(base),
  );
  const bytes = encode({
    ...base,
    zkMigrationReady: true,
    _unknownTags: [
      { tag: 7, data: Buffer.from([0xaa]) },
      { tag: 2, data: Buffer.from([0x01]) },
    ],
  });
  // error 0000, empty compact array 01, throttle 0, 3 tags: 2 (unknown), 3 (zkMigrationReady), 7 (unknown).
  assert.equal(bytes.toString('hex'), '0000' + '01' + '00000000' + '03' + '020101' + '030101' + '0701aa');
});
