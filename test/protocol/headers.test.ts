import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolDecodeError } from '../../src/protocol/decode-error.ts';
import { Reader } from '../../src/protocol/reader.ts';
import { Writer } from '../../src/protocol/writer.ts';
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequest,
  encodeRequestHeader,
  encodeResponse,
  encodeResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../src/protocol/headers.ts';
import { RequestHeaderCodec, ResponseHeaderCodec, apis } from '../../src/protocol/messages/index.ts';

const bytes = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('header versions follow each API’s flexible versions, with the ApiVersions and ControlledShutdown quirks', () => {
  assert.equal(requestHeaderVersion(3, 8), 1);
  assert.equal(requestHeaderVersion(3, 9), 2);
  assert.equal(responseHeaderVersion(3, 8), 0);
  assert.equal(responseHeaderVersion(3, 9), 1);
  assert.equal(requestHeaderVersion(18, 3), 2);
  assert.equal(responseHeaderVersion(18, 3), 0, 'ApiVersions responses always use header v0');
  assert.equal(requestHeaderVersion(18, 7), 2, 'a version above the maximum is still flexible ("3+")');
  assert.equal(requestHeaderVersion(17, 1), 1, 'SaslHandshake is never flexible');
  assert.equal(requestHeaderVersion(7, 0), 0, 'ControlledShutdown v0 has no client id');
  assert.equal(requestHeaderVersion(9999, 0), 1);
  assert.equal(responseHeaderVersion(9999, 0), 0);
});

test('a flexible request header: classic nullable client id, then a tag section that may hold tags', () => {
  // Metadata v9 | correlation 42 | client id "cli" | tags: one, tag 5, 2 bytes | body starts at 0x01
  const frame = bytes('0003 0009 0000002a 0003 636c69 01 05 02 abcd 01');
  const r = new Reader(frame);
  const header = decodeRequestHeader(r);
  assert.deepEqual(header, {
    apiKey: 3,
    apiVersion: 9,
    correlationId: 42,
    clientId: 'cli',
    supported: true,
    headerVersion: 2,
    tags: [{ tag: 5, data: bytes('abcd') }],
  });
  assert.equal(r.offset, frame.length - 1, 'the reader is left at the body');
  // The same header as v1 (Metadata v8): no tag section, the next byte is the body's.
  const v1 = new Reader(bytes('0003 0008 0000002a ffff 01'));
  assert.deepEqual(decodeRequestHeader(v1), {
    apiKey: 3,
    apiVersion: 8,
    correlationId: 42,
    clientId: null,
    supported: true,
    headerVersion: 1,
  });
  assert.equal(v1.remaining, 1);
});

test('unknown API keys and versions out of range still yield the header, marked unsupported', () => {
  assert.deepEqual(decodeRequestHeader(new Reader(bytes('03e7 0000 00000001 0001 63'))), {
    apiKey: 999,
    apiVersion: 0,
    correlationId: 1,
    clientId: 'c',
    supported: false,
    headerVersion: 1,
  });
  // ApiVersions v4 from a newer client: header v2 (tags skipped) so the server can answer with v0.
  const r = new Reader(bytes('0012 0004 00000007 0001 63 00 ffff'));
  const header = decodeRequestHeader(r);
  assert.equal(header.supported, false);
  assert.equal(header.headerVersion, 2);
  assert.equal(header.correlationId, 7);
  assert.equal(r.remaining, 2);
  assert.equal(decodeRequestHeader(new Reader(bytes('0000 ffff 00000001 0000'))).supported, false);
  assert.deepEqual(decodeRequestHeader(new Reader(bytes('0007 0000 00000003'))), {
    apiKey: 7,
    apiVersion: 0,
    correlationId: 3,
    clientId: null,
    supported: true,
    headerVersion: 0,
  });
});

test('truncated headers are ProtocolDecodeErrors', () => {
  const full = bytes('0003 0009 0000002a 0003 636c69 00');
  for (let n = 0; n < full.length; n++) {
    assert.throws(
      () => decodeRequestHeader(new Reader(full.subarray(0, n))),
      ProtocolDecodeError,
      `${n} bytes`,
    );
  }
});

test('response headers: v1 adds a single empty tag byte, except for ApiVersions', () => {
  const hexOf = (apiKey: number, version: number) => {
    const w = new Writer();
    encodeResponseHeader(w, apiKey, version, 0x01020304);
    return w.toBuffer().toString('hex');
  };
  assert.equal(hexOf(3, 8), '01020304');
  assert.equal(hexOf(3, 9), '0102030400');
  assert.equal(hexOf(18, 3), '01020304');
  assert.equal(hexOf(18, 0), '01020304');
  assert.deepEqual(decodeResponseHeader(new Reader(bytes('01020304 00')), 3, 9), {
    correlationId: 0x01020304,
  });
  assert.deepEqual(decodeResponseHeader(new Reader(bytes('01020304 01 00 00')), 3, 9), {
    correlationId: 0x01020304,
    tags: [{ tag: 0, data: Buffer.alloc(0) }],
  });
  const r = new Reader(bytes('01020304 00'));
  decodeResponseHeader(r, 18, 3);
  assert.equal(r.remaining, 1, 'the ApiVersions response header has no tag section to read');
});

test('the hand-written headers agree byte for byte with the generated RequestHeader/ResponseHeader codecs', () => {
  for (const [apiKey, apiVersion] of [
    [0, 3],
    [0, 9],
    [3, 12],
    [18, 0],
    [18, 3],
    [7, 0],
    [17, 1],
  ]) {
    const fields = { apiKey, apiVersion, correlationId: 77, clientId: apiKey === 0 ? null : 'client' };
    const ours = new Writer();
    encodeRequestHeader(ours, fields);
    const generated = new Writer();
    const headerVersion = requestHeaderVersion(apiKey, apiVersion);
    RequestHeaderCodec.encode(generated, headerVersion, {
      requestApiKey: apiKey,
      requestApiVersion: apiVersion,
      correlationId: 77,
      clientId: headerVersion === 0 ? null : fields.clientId,
    });
    assert.deepEqual(ours.toBuffer(), generated.toBuffer(), `key ${apiKey} v${apiVersion}`);
    const response = new Writer();
    encodeResponseHeader(response, apiKey, apiVersion, 77);
    const generatedResponse = new Writer();
    ResponseHeaderCodec.encode(generatedResponse, responseHeaderVersion(apiKey, apiVersion), {
      correlationId: 77,
    });
    assert.deepEqual(
      response.toBuffer(),
      generatedResponse.toBuffer(),
      `response key ${apiKey} v${apiVersion}`,
    );
  }
});

test('encodeRequest and encodeResponse frame a whole message with its int32 size', () => {
  const request = encodeRequest(apis[12], 4, 5, 'me', {
    groupId: 'g',
    generationId: 1,
    memberId: 'm',
    groupInstanceId: null,
  });
  assert.equal(request.readInt32BE(0), request.length - 4);
  const r = new Reader(request, 4);
  const header = decodeRequestHeader(r);
  assert.equal(header.headerVersion, 2);
  assert.deepEqual(apis[12].request.decode(r, header.apiVersion), {
    groupId: 'g',
    generationId: 1,
    memberId: 'm',
    groupInstanceId: null,
  });
  const response = encodeResponse(apis[12], 4, 5, { throttleTimeMs: 0, errorCode: 27 });
  assert.equal(response.toString('hex'), '0000000c' + '00000005' + '00' + '00000000' + '001b' + '00');
});
