// The connection pipeline under requests larger than its queue bound: one frame bigger than the bytes a
// connection may queue must still be read whole and answered. Buffers it reuses (request frames, the log
// reads a fetch response is sent from) must not be reused while anything still needs their bytes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { FrameDecoder } from '../../../src/protocol/frame-decoder.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { decodeResponseHeader, encodeRequest } from '../../../src/protocol/headers.ts';
import { FetchApi, ProduceApi } from '../../../src/protocol/messages/index.ts';
import { Reader } from '../../../src/protocol/reader.ts';
import { startTestBroker } from '../../helpers/broker.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import {
  FETCH_VERSION,
  PRODUCE_VERSION,
  batchOf,
  fetchAll,
  fetchRequest,
  produce,
  produceRequest,
  recordsOf,
} from '../../helpers/records-io.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { plainSocket } from '../bad-input-harness.ts';

test('a 24 MiB request is read whole and answered; the connection keeps serving', async (t) => {
  const broker = await startTestBroker(t, { maxFrameBytes: 64 * 1024 * 1024 });
  await broker.context.topics.create('big', 1, {});
  const client = await RawClient.connect(broker.port);
  t.after(() => client.close());

  const huge = batchOf([Buffer.alloc(24 * 1024 * 1024, 7)]);
  const response = await client.request(ProduceApi, PRODUCE_VERSION, produceRequest('big', 0, huge));
  const partition = response.responses[0].partitionResponses[0];
  // Larger than the topic's max.message.bytes: refused, but answered.
  assert.equal(partition.errorCode, ErrorCode.MESSAGE_TOO_LARGE);

  assert.deepEqual(await produce(client, 'big', 0, ['after']), { errorCode: ErrorCode.NONE, baseOffset: 0n });
});

test('pipelined large produce requests (frames reused from the pool) are stored byte for byte', async (t) => {
  const broker = await startTestBroker(t);
  await broker.context.topics.create('pooled', 1, {});
  const client = await RawClient.connect(broker.port);
  t.after(() => client.close());

  // Each request spans many socket reads, so its frame is assembled in a pooled buffer; sent all at once,
  // several wait in the queue while earlier ones are appended. A refused batch (bad CRC) in the middle
  // returns its frame too. Sizes vary so buffers are reused for frames of other sizes.
  const values: Buffer[] = [];
  const sent: { correlationId: number; corrupt: boolean }[] = [];
  for (let i = 0; i < 24; i++) {
    const value = Buffer.alloc(100 * 1024 + ((i * 37_000) % 400_000), i + 1);
    const batch = batchOf([value, `tail-${i}`]);
    const corrupt = i === 9;
    if (corrupt) batch[batch.length - 1] ^= 0xff;
    else values.push(value);
    sent.push({
      correlationId: client.send(ProduceApi, PRODUCE_VERSION, produceRequest('pooled', 0, batch)),
      corrupt,
    });
  }
  for (const { correlationId, corrupt } of sent) {
    const response = await client.receive(ProduceApi, PRODUCE_VERSION, correlationId);
    const code = response.responses[0].partitionResponses[0].errorCode;
    assert.equal(code, corrupt ? ErrorCode.CORRUPT_MESSAGE : ErrorCode.NONE);
  }
  const { records } = await fetchAll(client, 'pooled', 0);
  assert.equal(records.length, values.length * 2);
  values.forEach((value, i) => {
    assert.ok(records[2 * i].value?.equals(value), `record ${2 * i}`);
    assert.equal(records[2 * i + 1].value?.toString(), `tail-${i < 9 ? i : i + 1}`);
  });
});

test('a fetch response waiting on a slow reader keeps its records while other clients fetch', async (t) => {
  const broker = await startTestBroker(t);
  const topic = await broker.context.topics.create('reads', 2, {});
  // Batches of ~1 MiB of incompressible values, so each fetch below returns exactly one and all its read
  // buffers are of one size: a buffer given back too early would be the next one another fetch reads into.
  const BATCHES = 16;
  const values: string[][] = [[], []];
  for (let p = 0; p < 2; p++) {
    for (let b = 0; b < BATCHES; b++) {
      const batch = Array.from(
        { length: 4 },
        (_, r) => `p${p}-b${b}-r${r}-${randomBytes(128 * 1024).toString('hex')}`,
      );
      await topic.partitions[p].log.append(batchOf(batch));
      values[p].push(...batch);
    }
  }

  // The slow client asks for every batch of partition 0 at once and reads nothing for now: the broker
  // answers until the socket's buffers are full, and the response after that waits in the broker.
  const slow = await plainSocket(broker.port);
  t.after(() => slow.destroy());
  slow.pause();
  for (let b = 0; b < BATCHES; b++) {
    slow.write(
      encodeRequest(FetchApi, FETCH_VERSION, b, 'slow', fetchRequest('reads', 0, BigInt(b * 4), 1024 * 1024)),
    );
  }
  await waitFor(() => slow.readableLength > 0, { what: 'the first response to the slow client' });

  // Meanwhile another client reads all of partition 1, one batch per fetch, through the same read buffers.
  const other = await RawClient.connect(broker.port);
  t.after(() => other.close());
  const read = await fetchAll(other, 'reads', 1);
  assert.deepEqual(
    read.records.map((r) => r.value?.toString()),
    values[1],
  );

  // Every response the slow client gets is the batch it asked for, intact (decodeRecords checks the CRC).
  const decoder = new FrameDecoder(64 * 1024 * 1024);
  const frames: Buffer[] = [];
  slow.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk)));
  slow.resume();
  await waitFor(() => frames.length === BATCHES, { what: 'every response to the slow client' });
  frames.forEach((frame, b) => {
    const reader = new Reader(frame);
    assert.equal(decodeResponseHeader(reader, FetchApi.apiKey, FETCH_VERSION).correlationId, b);
    const partition = FetchApi.response.decode(reader, FETCH_VERSION).responses[0].partitions[0];
    assert.deepEqual(
      recordsOf(partition.records).map((r) => r.value?.toString()),
      values[0].slice(b * 4, b * 4 + 4),
      `response ${b}`,
    );
  });
});
