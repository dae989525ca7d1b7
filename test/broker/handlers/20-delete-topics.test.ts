// DeleteTopics through a raw socket at the first, a middle and the last version: by name, by id (v6),
// unknown names and ids, duplicates, the files going away, and a fetch long-polling on the topic being
// answered when the topic is deleted instead of waiting out its max wait.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { DeleteTopicsApi, FetchApi } from '../../../src/protocol/messages/index.ts';
import type { RawClient } from '../../helpers/raw-client.ts';
import { ZERO_UUID, adminSetup, connect } from './admin-helpers.ts';
import { fetchRequest } from './data-path.ts';

function deleteByName(client: RawClient, version: number, names: string[]) {
  return client.request(DeleteTopicsApi, version, {
    topics: names.map((name) => ({ name, topicId: ZERO_UUID })),
    topicNames: names,
    timeoutMs: 5000,
  });
}

for (const version of [0, 3, 6]) {
  test(`DeleteTopics v${version}: deletes by name, removes the files, refuses unknown names`, async (t) => {
    const { broker, client } = await adminSetup(t);
    const doomed = await broker.context.topics.create('doomed', 2, {});
    await broker.context.topics.create('kept', 1, {});
    const dir = join(broker.dataDir, 'doomed-1');
    assert.ok(existsSync(dir));

    const res = await deleteByName(client, version, ['doomed', 'never-was']);
    assert.deepEqual(
      res.responses.map((r) => [r.name, r.errorCode]),
      [
        ['doomed', ErrorCode.NONE],
        ['never-was', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    );
    if (version >= 5) assert.match(res.responses[1].errorMessage ?? '', /never-was/);
    if (version >= 6) assert.deepEqual(res.responses[0].topicId, doomed.id);
    assert.equal(broker.context.topics.get('doomed'), undefined);
    assert.ok(broker.context.topics.get('kept'));
    assert.equal(existsSync(dir), false);
  });
}

test('DeleteTopics v6: by topic id; unknown ids, a name and an id together, and duplicates are refused', async (t) => {
  const { broker, client } = await adminSetup(t);
  const byId = await broker.context.topics.create('by-id', 1, {});
  const other = await broker.context.topics.create('other', 1, {});
  const unknownId = '11111111-2222-4333-8444-555555555555';
  const res = await client.request(DeleteTopicsApi, 6, {
    topics: [
      { name: null, topicId: byId.id },
      { name: null, topicId: unknownId },
      { name: 'other', topicId: other.id },
      { name: 'dup', topicId: ZERO_UUID },
      { name: 'dup', topicId: ZERO_UUID },
    ],
    topicNames: [],
    timeoutMs: 5000,
  });
  assert.deepEqual(
    res.responses.map((r) => [r.name, r.topicId, r.errorCode]),
    [
      ['by-id', byId.id, ErrorCode.NONE],
      [null, unknownId, ErrorCode.UNKNOWN_TOPIC_ID],
      ['other', other.id, ErrorCode.INVALID_REQUEST],
      ['dup', ZERO_UUID, ErrorCode.INVALID_REQUEST],
      ['dup', ZERO_UUID, ErrorCode.INVALID_REQUEST],
    ],
  );
  assert.equal(broker.context.topics.get('by-id'), undefined);
  assert.ok(broker.context.topics.get('other'));
});

test('DeleteTopics: a deleted name can be created again, empty and with a new id', async (t) => {
  const { broker, client } = await adminSetup(t);
  const first = await broker.context.topics.create('reborn', 1, {});
  await deleteByName(client, 6, ['reborn']);
  const second = await broker.context.topics.create('reborn', 1, {});
  assert.notEqual(second.id, first.id);
  assert.equal(second.partitions[0].log.logEndOffset, 0n);
});

test('DeleteTopics answers a fetch parked on the deleted topic at once', async (t) => {
  const { broker } = await adminSetup(t);
  await broker.context.topics.create('watched', 1, {});
  const log = broker.context.topics.get('watched')!.partitions[0].log;
  // Note when the fetch subscribes to the log: from then on it is parked (or about to be).
  let subscribed = false;
  const subscribe = log.onHighWatermark.bind(log);
  log.onHighWatermark = (listener) => {
    subscribed = true;
    return subscribe(listener);
  };
  const fetcher = await connect(t, broker.port);
  const admin = await connect(t, broker.port);
  // A max wait far beyond the test's deadlines: only the delete can end this fetch in time.
  const request = fetchRequest('watched', [{ offset: 0n }], { maxWaitMs: 3_600_000, minBytes: 1 });
  const fetchId = fetcher.send(FetchApi, 11, request);
  await waitFor(() => subscribed, 'the fetch to park');

  const deleted = await deleteByName(admin, 1, ['watched']);
  assert.equal(deleted.responses[0].errorCode, ErrorCode.NONE);
  const res = await fetcher.receive(FetchApi, 11, fetchId);
  assert.equal(res.responses[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
