// The offset store inside the broker: opened by startBroker under the data directory, on the context as
// `offsets`, closed with the broker; DeleteTopics drops the deleted topic's offsets; offsets of a topic
// that is gone at start (a crash between the two) are dropped then; a damaged store stops startBroker.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { startBroker } from '../../../src/broker/broker.ts';
import { OffsetStore } from '../../../src/broker/groups/offset-store.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { DeleteTopicsApi } from '../../../src/protocol/messages/index.ts';
import { startTestBroker } from '../../helpers/broker.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { commitOne, off, storeFile, tempDir } from './offset-store-helpers.ts';

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

test('DeleteTopics drops the offsets of the deleted topic in every group; other topics keep theirs; restarts keep them', async (t) => {
  const dataDir = await tempDir(t);
  const broker = await startTestBroker(t, { dataDir, durability: 'fsync' });
  const { offsets, topics } = broker.context;
  assert.ok(offsets instanceof OffsetStore);
  await topics.create('doomed', 2, {});
  await topics.create('kept', 1, {});
  await offsets.commit('g1', [
    { topic: 'doomed', partition: 0, value: off(5) },
    { topic: 'doomed', partition: 1, value: off(6) },
    { topic: 'kept', partition: 0, value: off(7) },
  ]);
  await commitOne(offsets, 'g2', 'doomed', 1, off(8));

  const client = await RawClient.connect(broker.port);
  t.after(() => client.close());
  const res = await client.request(DeleteTopicsApi, 6, {
    topics: [{ name: 'doomed', topicId: ZERO_UUID }],
    topicNames: [],
    timeoutMs: 5000,
  });
  assert.equal(res.responses[0].errorCode, ErrorCode.NONE);
  assert.equal(offsets.offsets('g1').get('doomed'), undefined);
  assert.deepEqual(offsets.groupsWithOffsets(), ['g1']);
  assert.deepEqual(offsets.offset('g1', 'kept', 0), off(7));
  client.close();
  await broker.close();

  const again = await startBroker({ port: 0, logLevel: 'silent', dataDir });
  t.after(() => again.close());
  assert.deepEqual(again.context.offsets.offset('g1', 'kept', 0), off(7));
  assert.equal(again.context.offsets.offset('g2', 'doomed', 1), undefined);
});

test("offsets of a topic that is gone when the broker starts are dropped (a crash between a topic's deletion and its offsets')", async (t) => {
  const dataDir = await tempDir(t);
  const first = await startBroker({ port: 0, logLevel: 'silent', dataDir });
  await first.context.topics.create('alive', 1, {});
  await commitOne(first.context.offsets, 'g', 'alive', 0, off(1));
  await commitOne(first.context.offsets, 'g', 'ghost', 0, off(2)); // as if its topic had just been deleted
  await first.close();

  const second = await startBroker({ port: 0, logLevel: 'silent', dataDir });
  t.after(() => second.close());
  assert.deepEqual([...second.context.offsets.offsets('g').keys()], ['alive']);
});

test('startBroker refuses a damaged offset store naming the file, and a bad offsetsCompactAfterBytes naming the setting', async (t) => {
  const dataDir = await tempDir(t);
  const broker = await startBroker({ port: 0, logLevel: 'silent', dataDir });
  await broker.close();
  await writeFile(storeFile(dataDir), 'not an offset store');
  await assert.rejects(
    startBroker({ port: 0, logLevel: 'silent', dataDir }),
    /__consumer_offsets\/offsets\.log is not a readable offset store/,
  );
  await assert.rejects(
    startBroker({ port: 0, logLevel: 'silent', dataDir, offsetsCompactAfterBytes: 10 }),
    /offsetsCompactAfterBytes/,
  );
});
