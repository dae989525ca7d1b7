// Bad input, case by case, against one broker: each case either closes only the offending connection or
// is answered with the error code Kafka specifies, and after each one the connection opened before any of
// them still gets ApiVersions and Metadata answered. Framing edge cases (coalesced and byte-by-byte
// frames) are here too. Randomized inputs are in bad-input-fuzz.test.ts.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRequest } from '../../src/protocol/headers.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import {
  ApiVersionsApi,
  CreateTopicsApi,
  FetchApi,
  ListOffsetsApi,
  MetadataApi,
  ProduceApi,
} from '../../src/protocol/messages/index.ts';
import { MAGIC_OFFSET } from '../../src/protocol/record-batch.ts';
import { Reader } from '../../src/protocol/reader.ts';
import { Writer } from '../../src/protocol/writer.ts';
import { batchOf, fetchOnce, fetchRequest, produceRequest, PRODUCE_VERSION } from '../helpers/records-io.ts';
import { BadInputBroker, SOFTWARE, outcome, probeFrame, rawFrame, sizePrefix } from './bad-input-harness.ts';

const MAX_FRAME = 4096;
const INVALID_NAMES = ['.', '..', 'bad/name', 'has space', 'x'.repeat(250), ''];

const metadataRequest = (names: string[] | null, allowAutoTopicCreation = true) => ({
  topics: names?.map((name) => ({ topicId: '00000000-0000-0000-0000-000000000000', name })) ?? null,
  allowAutoTopicCreation,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: false,
});

describe('bad input against one broker', () => {
  let b: BadInputBroker;
  before(async () => {
    b = await BadInputBroker.start({ maxFrameBytes: MAX_FRAME, autoCreateTopics: true });
    await b.broker.context.topics.create('good', 1, {});
  });
  after(() => b.stop());
  afterEach(async () => {
    await b.assertHealthy();
    b.closeOpened();
    await b.waitOnlyHealthyLeft();
  });

  /**
   * Sends `bytes` then a probe on a new connection and expects the broker to close it unanswered, saying
   * why in one log line.
   */
  async function expectClosedUnanswered(bytes: Buffer): Promise<void> {
    const linesBefore = b.logLines.length;
    const client = await b.open();
    client.write(Buffer.concat([bytes, probeFrame()]));
    assert.deepEqual(await outcome(client), { answered: [], probeAnswered: false, closed: true });
    const lines = b.logLines.slice(linesBefore);
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.match(lines[0].msg, /^closing connection: /);
  }

  test('a size prefix over maxFrameBytes closes the connection', async () => {
    await expectClosedUnanswered(Buffer.concat([sizePrefix(MAX_FRAME + 1), Buffer.alloc(64)]));
  });

  test('a negative size prefix closes the connection', async () => {
    await expectClosedUnanswered(sizePrefix(0xffffffff));
    await expectClosedUnanswered(sizePrefix(0x80000000));
  });

  test('a frame too short to hold a request header closes the connection', async () => {
    await expectClosedUnanswered(Buffer.from([0, 0, 0, 3, 0, 18, 0]));
    await expectClosedUnanswered(sizePrefix(0));
  });

  test('truncated frames, then the client goes away: the broker drops the connection', async () => {
    const full = encodeRequest(MetadataApi, 12, 1, 'truncated', metadataRequest(['good']));
    const cuts = [2, 4, 9, full.length - 1];
    for (const cut of cuts) {
      for (const how of ['end', 'reset'] as const) {
        const socket = await b.openPlain();
        socket.write(full.subarray(0, cut));
        if (how === 'end') socket.end();
        else socket.resetAndDestroy();
      }
    }
    // A prefix promising far more than ever comes (but under the limit), then a half-close.
    const promising = await b.openPlain();
    promising.write(Buffer.concat([sizePrefix(MAX_FRAME), Buffer.alloc(100)]));
    promising.end();
  });

  test('an unknown API key closes the connection', async () => {
    for (const key of [9999, 32767, -1, 11 /* JoinGroup: real, not implemented here */]) {
      await expectClosedUnanswered(rawFrame(key, 0, 1, Buffer.alloc(8)));
    }
  });

  test('an unsupported version of a known API closes the connection', async () => {
    const produce = produceRequest('good', 0, batchOf(['v']));
    await expectClosedUnanswered(encodeRequest(ProduceApi, 2, 1, 'old', produce));
    await expectClosedUnanswered(rawFrame(ProduceApi.apiKey, 12, 1, Buffer.alloc(16)));
    await expectClosedUnanswered(encodeRequest(FetchApi, 3, 1, 'old', fetchRequest('good', 0, 0n, 1024)));
    await expectClosedUnanswered(encodeRequest(FetchApi, 14, 1, 'new', fetchRequest('good', 0, 0n, 1024)));
    await expectClosedUnanswered(rawFrame(MetadataApi.apiKey, 13, 1, Buffer.alloc(16)));
  });

  test('ApiVersions above v3 is answered in the v0 format with UNSUPPORTED_VERSION, key 18 listed', async () => {
    const client = await b.open();
    for (const version of [4, 5, 127]) {
      // The body a v3+ client sends (compact strings and tags); the broker must not need to parse it.
      const body = new Writer();
      body.compactString('future-client');
      body.compactString('9.9');
      body.uvarint(0);
      client.write(rawFrame(ApiVersionsApi.apiKey, version, 100 + version, body.toBuffer()));
      const frame = await client.nextFrame();
      assert.ok(frame, `v${version} answered`);
      const r = new Reader(frame);
      assert.equal(r.int32(), 100 + version, 'response header v0: the correlation id alone');
      const response = ApiVersionsApi.response.decode(r, 0);
      assert.equal(response.errorCode, ErrorCode.UNSUPPORTED_VERSION);
      const own = response.apiKeys.find((k) => k.apiKey === ApiVersionsApi.apiKey);
      assert.deepEqual(own && [own.minVersion, own.maxVersion], [0, 3]);
    }
    // The connection stays usable: the client retries with a version we support.
    assert.equal((await client.request(ApiVersionsApi, 3, SOFTWARE)).errorCode, 0);
  });

  test('a valid header with a garbage body closes the connection', async () => {
    await expectClosedUnanswered(rawFrame(MetadataApi.apiKey, 12, 1, Buffer.alloc(40, 0xff)));
    await expectClosedUnanswered(rawFrame(ProduceApi.apiKey, 9, 1, Buffer.from('not a produce request')));
    await expectClosedUnanswered(rawFrame(FetchApi.apiKey, 11, 1, Buffer.alloc(3)));
  });

  test('Produce with a bad CRC or a wrong magic: CORRUPT_MESSAGE, nothing appended, connection kept', async () => {
    const client = await b.open();
    const badCrc = batchOf(['crc will not match']);
    badCrc[badCrc.length - 3] ^= 0x01;
    const oldMagic = batchOf(['magic 1 is not accepted']);
    oldMagic[MAGIC_OFFSET] = 1;
    for (const records of [badCrc, oldMagic]) {
      const response = await client.request(ProduceApi, PRODUCE_VERSION, produceRequest('good', 0, records));
      assert.equal(response.responses[0].partitionResponses[0].errorCode, ErrorCode.CORRUPT_MESSAGE);
    }
    const p = await fetchOnce(client, 'good', 0, 0n);
    assert.equal(p.highWatermark, 0n);
  });

  test('invalid topic names: INVALID_TOPIC_EXCEPTION from Produce, Metadata and CreateTopics; none created', async () => {
    const client = await b.open();
    for (const name of INVALID_NAMES) {
      const produced = await client.request(
        ProduceApi,
        PRODUCE_VERSION,
        produceRequest(name, 0, batchOf(['to nowhere'])),
      );
      assert.equal(
        produced.responses[0].partitionResponses[0].errorCode,
        ErrorCode.INVALID_TOPIC_EXCEPTION,
        name,
      );
    }
    const metadata = await client.request(MetadataApi, 12, metadataRequest(INVALID_NAMES));
    assert.deepEqual(
      metadata.topics.map((t) => [t.name, t.errorCode]),
      INVALID_NAMES.map((n) => [n, ErrorCode.INVALID_TOPIC_EXCEPTION]),
    );
    const created = await client.request(CreateTopicsApi, 7, {
      topics: INVALID_NAMES.map((name) => ({
        name,
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: [],
      })),
      timeoutMs: 10_000,
      validateOnly: false,
    });
    assert.deepEqual(
      created.topics.map((t) => t.errorCode),
      INVALID_NAMES.map(() => ErrorCode.INVALID_TOPIC_EXCEPTION),
    );
    assert.deepEqual(
      b.broker.context.topics.list().map((t) => t.name),
      ['good'],
    );
  });

  test('a partition out of range: UNKNOWN_TOPIC_OR_PARTITION from Produce, Fetch and ListOffsets', async () => {
    const client = await b.open();
    for (const partition of [1, 7, -1, 2 ** 31 - 1]) {
      const produced = await client.request(
        ProduceApi,
        PRODUCE_VERSION,
        produceRequest('good', partition, batchOf(['v'])),
      );
      assert.equal(
        produced.responses[0].partitionResponses[0].errorCode,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      );
      assert.equal(
        (await fetchOnce(client, 'good', partition, 0n)).errorCode,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      );
      const listed = await client.request(ListOffsetsApi, 7, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          {
            name: 'good',
            partitions: [
              { partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 },
            ],
          },
        ],
      });
      assert.equal(listed.topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
  });

  test('many frames in one TCP write are all answered, in order, acks=0 produce answered by silence', async () => {
    const client = await b.open();
    const frames: Buffer[] = [];
    const expected: number[] = [];
    for (let id = 1; id <= 300; id++) {
      if (id % 50 === 0) {
        // acks=0: no response, and the ids around it must still come back in order.
        frames.push(
          encodeRequest(ProduceApi, PRODUCE_VERSION, id, 'c', produceRequest('good', 0, batchOf(['a0']), 0)),
        );
        continue;
      }
      const version = id % 4;
      frames.push(
        id % 3 === 0
          ? encodeRequest(MetadataApi, id % 13, id, 'coalesced', metadataRequest(['good'], false))
          : encodeRequest(ApiVersionsApi, version, id, 'coalesced', SOFTWARE),
      );
      expected.push(id);
    }
    client.write(Buffer.concat([...frames, probeFrame()]));
    assert.deepEqual(await outcome(client), { answered: expected, probeAnswered: true, closed: false });
  });

  test('a frame written one byte at a time is answered', async () => {
    const socket = await b.openPlain();
    socket.setNoDelay(true);
    const frame = encodeRequest(MetadataApi, 12, 42, 'trickle', metadataRequest(['good'], false));
    const response = new Promise<Buffer>((resolve, reject) => {
      let got = Buffer.alloc(0);
      const timer = setTimeout(() => reject(new Error('no response to the trickled frame')), 60_000);
      socket.on('data', (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) {
          clearTimeout(timer);
          resolve(got);
        }
      });
    });
    // Each byte waits for the previous one to reach the kernel, so the broker sees many tiny chunks.
    for (const byte of frame) {
      await new Promise<void>((resolve, reject) =>
        socket.write(Buffer.from([byte]), (err) => (err ? reject(err) : resolve())),
      );
    }
    const r = new Reader(await response);
    r.int32();
    assert.equal(r.int32(), 42);
    r.uvarint(); // response header v1 tags
    const metadata = MetadataApi.response.decode(r, 12);
    assert.deepEqual(
      metadata.topics.map((t) => [t.name, t.errorCode]),
      [['good', 0]],
    );
    socket.destroy();
  });
});

test('with the default 100 MiB limit, a 0x7fffffff size prefix is refused before anything is allocated', async () => {
  const b = await BadInputBroker.start();
  try {
    assert.equal(b.broker.config.maxFrameBytes, 100 * 1024 * 1024);
    const rssBefore = process.memoryUsage().rss;
    for (const size of [0x7fffffff, 100 * 1024 * 1024 + 1]) {
      const client = await b.open();
      client.write(Buffer.concat([sizePrefix(size), Buffer.alloc(1024, 7), probeFrame()]));
      assert.deepEqual(await outcome(client), { answered: [], probeAnswered: false, closed: true });
    }
    // At the limit the frame is legal, but the bytes never come: buffering what arrived is all it costs.
    const promising = await b.openPlain();
    promising.write(Buffer.concat([sizePrefix(100 * 1024 * 1024), Buffer.alloc(1024, 7)]));
    await b.assertHealthy();
    promising.end();
    await b.waitOnlyHealthyLeft();
    const grown = process.memoryUsage().rss - rssBefore;
    // A broker that allocated and filled the promised frame would have grown by 100 MiB to 2 GiB.
    assert.ok(grown < 64 * 1024 * 1024, `RSS grew by ${grown} bytes`);
  } finally {
    await b.stop();
  }
});
