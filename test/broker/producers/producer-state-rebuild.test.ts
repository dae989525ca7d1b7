// When a restarted broker trusts the producer-state snapshot: only if the offset it describes is still in
// the log and inside the active segment (older would miss the batches in between, newer describes data
// the log lost); expired producers are dropped; a damaged file is ignored, not fatal. Ids continue above
// every producer id the snapshot names, used or not.
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { startBroker } from '../../../src/broker/broker.ts';
import { PRODUCER_SNAPSHOT_FILE } from '../../../src/broker/producers/producer-snapshot.ts';
import { partitionKey } from '../../../src/broker/producers/producer-state-manager.ts';
import { tempDir } from '../../helpers/broker.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { batchOf, produce } from '../handlers/data-path.ts';

const SNAPSHOT_PID = 900n;

/** A data dir whose 'events' log has 3 big plain batches, one per 1 KiB segment (active segment base 2). */
async function threeSegments(t: TestContext): Promise<{ dataDir: string; topicId: string }> {
  const dataDir = await tempDir();
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const broker = await startBroker({ port: 0, dataDir, logLevel: 'silent', segmentBytes: 1024 });
  try {
    const topic = await broker.context.topics.create('events', 1, {});
    const client = await RawClient.connect(broker.port);
    try {
      for (let i = 0; i < 3; i++) await produce(client, 7, 'events', 0, batchOf('y'.repeat(600), 1));
    } finally {
      client.close();
    }
    assert.equal(topic.partitions[0].log.segmentCount, 3);
    return { dataDir, topicId: topic.id };
  } finally {
    await broker.close();
  }
}

function snapshot(key: string, endOffset: bigint, lastSeenMs = Date.now()): string {
  return JSON.stringify({
    formatVersion: 1,
    partitions: [
      {
        key,
        endOffset: endOffset.toString(),
        producers: [
          {
            producerId: SNAPSHOT_PID.toString(),
            epoch: 0,
            lastSeq: 4,
            lastSeenMs,
            batches: [{ firstSeq: 0, lastSeq: 4, baseOffset: '0', logAppendTime: '-1' }],
          },
        ],
      },
    ],
  });
}

/** Starts the broker on `dataDir` with `contents` as snapshot: is the snapshot's producer remembered? */
async function restoredWith(dataDir: string, key: string, contents: string): Promise<boolean> {
  await writeFile(join(dataDir, PRODUCER_SNAPSHOT_FILE), contents);
  const broker = await startBroker({ port: 0, dataDir, logLevel: 'silent', segmentBytes: 1024 });
  try {
    assert.ok(broker.context.producers.ids.nextId > SNAPSHOT_PID, 'ids continue above the snapshot ids');
    return broker.context.producers.state.window(key, SNAPSHOT_PID) !== undefined;
  } finally {
    await broker.close();
  }
}

test('the snapshot is used only if its offset is inside the active segment and not past the log end', async (t) => {
  const { dataDir, topicId } = await threeSegments(t);
  const key = partitionKey(topicId, 0);
  assert.equal(await restoredWith(dataDir, key, snapshot(key, 3n)), true, 'at the log end');
  assert.equal(await restoredWith(dataDir, key, snapshot(key, 2n)), true, 'at the active segment base');
  assert.equal(await restoredWith(dataDir, key, snapshot(key, 1n)), false, 'before the last roll');
  assert.equal(await restoredWith(dataDir, key, snapshot(key, 4n)), false, 'past the log end');
});

test('producers in the snapshot idle past the expiration are not restored', async (t) => {
  const { dataDir, topicId } = await threeSegments(t);
  const key = partitionKey(topicId, 0);
  const longAgo = Date.now() - 2 * 24 * 3600 * 1000;
  assert.equal(await restoredWith(dataDir, key, snapshot(key, 3n, longAgo)), false);
});

test('a damaged snapshot is ignored: the broker starts and rebuilds from the log tail', async (t) => {
  const { dataDir, topicId } = await threeSegments(t);
  const key = partitionKey(topicId, 0);
  await writeFile(join(dataDir, PRODUCER_SNAPSHOT_FILE), '{"formatVersion":1,"partitions":[{"key":1}]}');
  const broker = await startBroker({ port: 0, dataDir, logLevel: 'silent', segmentBytes: 1024 });
  try {
    assert.equal(broker.context.producers.state.window(key, SNAPSHOT_PID), undefined);
    assert.equal(broker.context.producers.state.size, 0);
  } finally {
    await broker.close();
  }
  // The clean close replaced it with a valid one (nothing to remember).
  assert.deepEqual(JSON.parse(await readFile(join(dataDir, PRODUCER_SNAPSHOT_FILE), 'utf8')), {
    formatVersion: 1,
    partitions: [],
  });
});
