// Hostile and broken input: every failure must be a ProtocolDecodeError (or ProtocolEncodeError when
// encoding), quickly, without a RangeError, a hang, or an allocation sized by a length the bytes lie about.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolDecodeError } from '../../src/protocol/decode-error.ts';
import { ProtocolEncodeError } from '../../src/protocol/encode-error.ts';
import { Reader } from '../../src/protocol/reader.ts';
import { Writer } from '../../src/protocol/writer.ts';
import { apis, messageCodecs, type MessageCodec } from '../../src/protocol/messages/index.ts';
import { Rng, SEED, ValueGenerator } from './schema-values.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function decodeError(codec: MessageCodec<unknown>, version: number, bytes: Buffer): ProtocolDecodeError {
  try {
    codec.decode(new Reader(bytes), version);
  } catch (err) {
    if (err instanceof ProtocolDecodeError) return err;
    throw new Error(`${codec.name} v${version}: expected a ProtocolDecodeError, got ${String(err)}`, {
      cause: err,
    });
  }
  assert.fail(`${codec.name} v${version}: decoding ${bytes.toString('hex')} did not fail`);
}

test(`every truncation of a valid encoding fails to decode, for every message × version (seed ${SEED})`, (t) => {
  const values = new ValueGenerator(new Rng(SEED), { maxArray: 2, nullChance: 0.2, unknownTagChance: 0.3 });
  let truncations = 0;
  for (const codec of messageCodecs) {
    for (let version = codec.minVersion; version <= codec.maxVersion; version++) {
      const w = new Writer();
      codec.encode(w, version, values.message(codec.schema, version));
      const bytes = w.toBuffer();
      for (let n = 0; n < bytes.length; n++) {
        const err = decodeError(codec, version, bytes.subarray(0, n));
        assert.match(err.message, new RegExp(`^decoding ${codec.name} v${version}: `));
        truncations++;
      }
    }
  }
  t.diagnostic(`${truncations} truncated encodings rejected`);
});

test('a tiny buffer declaring a huge array fails fast, before allocating', () => {
  const before = process.memoryUsage().heapUsed;
  // ProduceRequest v3: transactional id null, acks, timeout, then a billion topics in 4 bytes.
  const classic = hex('ffff 0001 00007530 3b9aca00');
  assert.match(
    decodeError(apis[0].request, 3, classic).message,
    /array topicData declares 1000000000 elements but only 0 bytes remain/,
  );
  // The largest classic count, and a 2^31 compact count (uvarint 2^31 + 1).
  assert.match(
    decodeError(apis[0].request, 3, hex('ffff 0001 00007530 7fffffff')).message,
    /2147483647 elements/,
  );
  assert.match(
    decodeError(apis[0].request, 9, hex('00 0001 00007530 8180808008')).message,
    /2147483648 elements/,
  );
  // A billion tagged fields.
  assert.match(
    decodeError(apis[18].request, 3, hex('01 01 8094ebdc03')).message,
    /tagged field section declares 1000000000/,
  );
  // A string or bytes length past the end.
  assert.match(decodeError(apis[0].request, 3, hex('7fff')).message, /needs 32767 byte\(s\), 0 remain/);
  const records = hex('ffff 0001 00007530 00000001 0001 61 00000001 00000000 7fffffff 00');
  assert.match(decodeError(apis[0].request, 3, records).message, /records at offset 27 needs 2147483647/);
  assert.ok(
    process.memoryUsage().heapUsed - before < 64 * 1024 * 1024,
    'no allocation sized by the declared lengths',
  );
});

test('negative lengths other than the null marker are rejected', () => {
  assert.match(
    decodeError(apis[0].request, 3, hex('fffe')).message,
    /string transactionalId has negative length -2/,
  );
  assert.match(
    decodeError(apis[0].request, 3, hex('ffff 0001 00007530 fffffffe')).message,
    /array topicData has negative length -2/,
  );
  const bytes = hex('ffff 0001 00007530 00000001 0001 61 00000001 00000000 80000000');
  assert.match(decodeError(apis[0].request, 3, bytes).message, /negative length -2147483648/);
});

test('a null where the version does not allow one is a decode error naming the field', () => {
  // MetadataRequest topics is nullable from v1: a -1 count is fine there, an error at v0.
  assert.deepEqual(apis[3].request.decode(new Reader(hex('ffffffff')), 1).topics, null);
  assert.match(decodeError(apis[3].request, 0, hex('ffffffff')).message, /non-nullable array topics is null/);
  assert.match(
    decodeError(apis[0].request, 9, hex('00 0001 00007530 02 00')).message,
    /non-nullable compact string topicData\[\]\.name is null/,
  );
});

test('varints that never end are rejected after their maximum length', () => {
  const endless = Buffer.alloc(64, 0xff);
  assert.match(
    decodeError(apis[18].request, 3, endless).message,
    /longer than 5 bytes|does not fit in 32 bits/,
  );
  assert.match(
    decodeError(apis[0].request, 9, Buffer.concat([hex('00 0001 00007530'), endless])).message,
    /compact array topicData/,
  );
  assert.throws(() => new Reader(endless).uvarlong(), ProtocolDecodeError);
});

test('a tagged field whose size disagrees with its value is rejected', () => {
  // ApiVersionsResponse v3: error, no api keys, throttle, one tag: 3 (zkMigrationReady, a bool) said to be 2 bytes.
  assert.match(
    decodeError(apis[18].response, 3, hex('0000 01 00000000 01 03 02 0101')).message,
    /tagged field 3: its value ends at/,
  );
  assert.match(
    decodeError(apis[18].response, 3, hex('0000 01 00000000 01 03 09 01')).message,
    /tagged field 3 declares 9 bytes but only 1 remain/,
  );
});

test('versions outside a message’s range are refused both ways', () => {
  assert.match(
    decodeError(apis[18].request, 4, Buffer.alloc(0)).message,
    /cannot decode ApiVersionsRequest v4: defined versions are 0-3/,
  );
  assert.throws(
    () => apis[18].request.encode(new Writer(), -1, { clientSoftwareName: '', clientSoftwareVersion: '' }),
    (err: unknown) =>
      err instanceof ProtocolEncodeError && /ApiVersionsRequest: version -1 is not defined/.test(err.message),
  );
});

test('encoding a null into a field not nullable in that version names message, version and field', () => {
  const metadata = {
    topics: null,
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
  assert.throws(
    () => apis[3].request.encode(new Writer(), 0, metadata),
    (err: unknown) => {
      assert.ok(err instanceof ProtocolEncodeError);
      assert.equal(
        err.message,
        'MetadataRequest v0, field topics: null is not allowed (the field is not nullable in this version)',
      );
      assert.deepEqual([err.messageName, err.version, err.path], ['MetadataRequest', 0, 'topics']);
      return true;
    },
  );
  apis[3].request.encode(new Writer(), 1, metadata); // nullable from v1
  const produce = {
    transactionalId: null,
    acks: 1,
    timeoutMs: 0,
    topicData: [{ name: null as unknown as string, partitionData: [] }],
  };
  for (const version of [3, 9]) {
    assert.throws(() => apis[0].request.encode(new Writer(), version, produce), {
      name: 'ProtocolEncodeError',
      message: `ProduceRequest v${version}, field topicData[].name: null is not allowed (the field is not nullable in this version)`,
    });
  }
});

test('values the Writer refuses get the message and version added', () => {
  const bad = { transactionalId: null, acks: 70000, timeoutMs: 0, topicData: [] };
  assert.throws(() => apis[0].request.encode(new Writer(), 3, bad), {
    name: 'ProtocolEncodeError',
    message: 'ProduceRequest v3: 70000 is not a valid int16',
  });
});
