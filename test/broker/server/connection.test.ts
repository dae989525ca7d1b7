// The connection pipeline under requests larger than its queue bound: one frame bigger than the bytes a
// connection may queue must still be read whole and answered.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { ProduceApi } from '../../../src/protocol/messages/index.ts';
import { startTestBroker } from '../../helpers/broker.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { PRODUCE_VERSION, batchOf, produce, produceRequest } from '../../helpers/records-io.ts';

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
