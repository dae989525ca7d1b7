// The connection pipeline under requests larger than its queue bound: one frame bigger than the bytes a
// connection may queue must still be read whole and answered.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { ProduceApi } from '../../../src/protocol/messages/index.ts';
import { startTestBroker } from '../../helpers/broker.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { PRODUCE_VERSION, batchOf, fetchAll, produce, produceRequest } from '../../helpers/records-io.ts';

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
