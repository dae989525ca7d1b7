// Encodings worked out by hand from the protocol specification, so the codec is checked against the
// wire format and not only against itself. Hex is grouped by field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader } from '../../src/protocol/reader.ts';
import { Writer } from '../../src/protocol/writer.ts';
import { encodeRequest, encodeResponse } from '../../src/protocol/headers.ts';
import {
  ConsumerProtocolAssignmentCodec,
  apis,
  type MessageCodec,
  type MetadataRequest,
} from '../../src/protocol/messages/index.ts';

const hex = (s: string) => s.replace(/\s+/g, '');
const bytes = (s: string) => Buffer.from(hex(s), 'hex');

function body<T>(codec: MessageCodec<T>, version: number, m: T): string {
  const w = new Writer();
  codec.encode(w, version, m);
  return w.toBuffer().toString('hex');
}

test('ApiVersions v0 request: header v1 and an empty body', () => {
  const frame = encodeRequest(apis[18], 0, 1, 'c', { clientSoftwareName: '', clientSoftwareVersion: '' });
  // size 11 | api key 18 | version 0 | correlation id 1 | client id "c" (int16 length)
  assert.equal(frame.toString('hex'), hex('0000000b 0012 0000 00000001 0001 63'));
});

test('ApiVersions v3 request: header v2 (classic client id, then tags) and compact strings', () => {
  const frame = encodeRequest(apis[18], 3, 2, 'c', {
    clientSoftwareName: 'sluice',
    clientSoftwareVersion: '1.0',
  });
  assert.equal(
    frame.toString('hex'),
    hex('00000018 0012 0003 00000002 0001 63 00' + '07 736c75696365 04 312e30 00'),
  );
  const r = new Reader(frame, 4 + 8 + 3 + 1);
  assert.deepEqual(apis[18].request.decode(r, 3), {
    clientSoftwareName: 'sluice',
    clientSoftwareVersion: '1.0',
  });
});

test('ApiVersions v0 and v1 responses', () => {
  const keys = [
    { apiKey: 0, minVersion: 0, maxVersion: 11 },
    { apiKey: 18, minVersion: 0, maxVersion: 3 },
  ];
  const v0 = encodeResponse(apis[18], 0, 1, { errorCode: 0, apiKeys: keys, throttleTimeMs: 0 });
  // size 22 | correlation id | error 0 | 2 entries of (key, min, max); no throttle time in v0
  assert.equal(v0.toString('hex'), hex('00000016 00000001 0000 00000002 0000 0000 000b 0012 0000 0003'));
  const v1 = body(apis[18].response, 1, {
    errorCode: 35,
    apiKeys: keys.slice(1),
    throttleTimeMs: 100,
  });
  // throttle time comes after the array (the ApiVersions exception to "throttle first")
  assert.equal(v1, hex('0023 00000001 0012 0000 0003 00000064'));
});

test('ApiVersions v3 response: compact array, per-entry tags, tagged zkMigrationReady, and a v0 header', () => {
  const frame = encodeResponse(apis[18], 3, 2, {
    errorCode: 0,
    apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
    throttleTimeMs: 0,
    zkMigrationReady: true,
  });
  // The response header stays v0 for ApiVersions: no tag byte after the correlation id.
  assert.equal(
    frame.toString('hex'),
    hex('00000016 00000002' + '0000 02 0012 0000 0003 00 00000000' + '01 03 01 01'),
  );
  const decoded = apis[18].response.decode(new Reader(frame, 8), 3);
  assert.equal(decoded.zkMigrationReady, true);
  assert.equal(decoded.finalizedFeaturesEpoch, undefined, 'an absent tagged field stays undefined');
});

test('a tagged field of 128 bytes or more gets a two-byte size', () => {
  const name = 'a'.repeat(130);
  const m = {
    errorCode: 0,
    apiKeys: [],
    throttleTimeMs: 0,
    supportedFeatures: [{ name, minVersion: 1, maxVersion: 2 }],
  };
  // Feature: compact string (uvarint 131 = 83 01, 130 bytes), min, max, tags = 137 bytes; with the
  // array count, 138 bytes = uvarint 8a 01.
  const expected = '0000 01 00000000 01 00 8a01 02 8301' + '61'.repeat(130) + '0001 0002 00';
  const encoded = body(apis[18].response, 3, m);
  assert.equal(encoded, hex(expected));
  assert.deepEqual(apis[18].response.decode(new Reader(bytes(encoded)), 3), m);
});

test('Metadata request: a null topic list (all topics) is not an empty one (no topics)', () => {
  const base: Omit<MetadataRequest, 'topics'> = {
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
  assert.equal(body(apis[3].request, 1, { ...base, topics: null }), 'ffffffff');
  assert.equal(body(apis[3].request, 1, { ...base, topics: [] }), '00000000');
  assert.equal(body(apis[3].request, 0, { ...base, topics: [] }), '00000000');
  assert.equal(
    body(apis[3].request, 1, {
      ...base,
      topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'ab' }],
    }),
    hex('00000001 0002 6162'),
  );
  // v4 adds allow_auto_topic_creation; v9 is flexible (null 00, empty 01) with
  // include_cluster_authorized_operations (v8-10), include_topic_authorized_operations (v8+), tags.
  assert.equal(body(apis[3].request, 4, { ...base, topics: null }), hex('ffffffff 01'));
  assert.equal(body(apis[3].request, 9, { ...base, topics: null }), hex('00 01 00 00 00'));
  assert.equal(body(apis[3].request, 9, { ...base, topics: [] }), hex('01 01 00 00 00'));
  assert.equal(body(apis[3].request, 11, { ...base, topics: [] }), hex('01 01 00 00'));
  // v10: topic id, then a name that may be null.
  const id = '0123456789abcdef0123456789abcdef'.replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, '$1-$2-$3-$4-$5');
  assert.equal(
    body(apis[3].request, 10, { ...base, topics: [{ topicId: id, name: null }] }),
    hex('02 0123456789abcdef0123456789abcdef 00 00 01 00 00 00'),
  );
  assert.deepEqual(apis[3].request.decode(new Reader(bytes('ffffffff')), 1), { ...base, topics: null });
  // Before v4 the field is absent and decodes to its default, true.
  assert.equal(apis[3].request.decode(new Reader(bytes('00000000')), 3).allowAutoTopicCreation, true);
});

test('Produce request v3 (classic) and v9 (flexible) with raw record bytes', () => {
  const m = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: [{ name: 'topic', partitionData: [{ index: 0, records: Buffer.from([1, 2, 3]) }] }],
  };
  assert.equal(
    body(apis[0].request, 3, m),
    hex('ffff ffff 00007530 00000001 0005 746f706963 00000001 00000000 00000003 010203'),
  );
  // v9: compact null (00), compact array counts + 1, compact bytes, a tag section after each struct.
  assert.equal(
    body(apis[0].request, 9, m),
    hex('00 ffff 00007530 02 06 746f706963 02 00000000 04 010203 00 00 00'),
  );
  assert.equal(
    body(apis[0].request, 2, m),
    hex('ffff 00007530 00000001 0005 746f706963 00000001 00000000 00000003 010203'),
  );
});

test('Produce response v10: a tagged struct inside an array element', () => {
  const m = {
    responses: [
      {
        name: 't',
        partitionResponses: [
          {
            index: 1,
            errorCode: 6,
            baseOffset: -1n,
            logAppendTimeMs: -1n,
            logStartOffset: -1n,
            recordErrors: [],
            errorMessage: null,
            currentLeader: { leaderId: 2, leaderEpoch: 3 },
          },
        ],
      },
    ],
    throttleTimeMs: 0,
  };
  const partition =
    '00000001 0006 ffffffffffffffff ffffffffffffffff ffffffffffffffff 01 00' +
    // tags: one field, tag 0, 9 bytes: leader id, epoch, the struct's own empty tag section
    '01 00 09 00000002 00000003 00';
  assert.equal(body(apis[0].response, 10, m), hex(`02 02 74 02 ${partition} 00 00000000 00`));
});

test('ConsumerProtocolAssignment (a data type, never flexible)', () => {
  const m = { assignedPartitions: [{ topic: 't', partitions: [0, 2] }], userData: null };
  assert.equal(
    body(ConsumerProtocolAssignmentCodec, 1, m),
    hex('00000001 0001 74 00000002 00000000 00000002 ffffffff'),
  );
});
