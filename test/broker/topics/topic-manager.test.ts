// The topic manager and its store on real files: a restart keeps topics, partition counts, overrides and
// ids; a crash in the middle of a delete (metadata written, directories not yet removed) leaves no stray
// topic; a damaged topics.json stops startBroker with a message naming the file instead of a crash loop.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { startBroker } from '../../../src/broker/broker.ts';
import { resolveBrokerConfig } from '../../../src/broker/config.ts';
import { NodeLogFs } from '../../../src/broker/log/index.ts';
import { TopicExistsError, TopicManager } from '../../../src/broker/topics/topic-manager.ts';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';
import { tempDir } from '../../helpers/broker.ts';

async function dataDir(t: TestContext): Promise<string> {
  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function openManager(t: TestContext, dir: string): Promise<TopicManager> {
  const manager = await TopicManager.open({
    fs: new NodeLogFs(),
    dataDir: dir,
    config: resolveBrokerConfig({ dataDir: dir }),
    durability: { mode: 'none' },
    logger: pino({ level: 'silent' }),
  });
  t.after(() => manager.close());
  return manager;
}

function snapshot(manager: TopicManager) {
  return manager
    .list()
    .map((x) => ({ name: x.name, id: x.id, partitions: x.partitions.length, overrides: x.overrides }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

test('a restart keeps topics, partition counts, overrides, ids and the records', async (t) => {
  const dir = await dataDir(t);
  const first = await openManager(t, dir);
  await first.create('logs', 3, { 'retention.ms': '60000' });
  await first.create('metrics', 1, {});
  await first.addPartitions('metrics', 2);
  await first.setOverrides('metrics', { 'retention.bytes': '1000000', 'cleanup.policy': 'delete' });
  await first
    .partition('logs', 2)!
    .log.append(buildRecordBatch({ records: [{ value: Buffer.from('kept') }] }));
  const before = snapshot(first);
  await first.close();

  const second = await openManager(t, dir);
  assert.deepEqual(snapshot(second), before);
  assert.equal(second.partition('logs', 2)!.log.logEndOffset, 1n);
  assert.equal(second.get('metrics')!.settings['retention.bytes'], 1_000_000);
  assert.equal(second.getById(second.get('logs')!.id)!.name, 'logs');
});

test('create with exclusive refuses an existing name; without it returns the existing topic', async (t) => {
  const manager = await openManager(t, await dataDir(t));
  const made = await manager.create('once', 2, {});
  assert.equal(await manager.create('once', 5, {}), made);
  await assert.rejects(manager.create('once', 5, {}, { exclusive: true }), TopicExistsError);
  assert.equal(manager.get('once')!.partitions.length, 2);
});

test('a crash after the metadata write of a delete leaves no stray topic or directory', async (t) => {
  const dir = await dataDir(t);
  const first = await openManager(t, dir);
  await first.create('doomed', 2, {});
  await first.create('kept', 1, {});
  await first
    .partition('doomed', 0)!
    .log.append(buildRecordBatch({ records: [{ value: Buffer.from('x') }] }));
  await first.close();

  // What a delete writes first: topics.json without the topic. The crash comes before its directories go.
  const storePath = join(dir, 'topics.json');
  const store = JSON.parse(await readFile(storePath, 'utf8')) as { topics: { name: string }[] };
  store.topics = store.topics.filter((x) => x.name !== 'doomed');
  await writeFile(storePath, JSON.stringify(store));
  // And a directory no topic ever had (a crash during a create, before its metadata write).
  await mkdir(join(dir, 'ghost-0'));
  assert.ok(existsSync(join(dir, 'doomed-0')));

  const second = await openManager(t, dir);
  assert.deepEqual(
    second.list().map((x) => x.name),
    ['kept'],
  );
  for (const gone of ['doomed-0', 'doomed-1', 'ghost-0'])
    assert.equal(existsSync(join(dir, gone)), false, gone);
  assert.ok(existsSync(join(dir, 'kept-0')));
  // The name is free again, and starts empty.
  const reborn = await second.create('doomed', 1, {});
  assert.equal(reborn.partitions[0].log.logEndOffset, 0n);
});

test('partitions beyond the stored count (a crash during growth) are removed on start', async (t) => {
  const dir = await dataDir(t);
  const first = await openManager(t, dir);
  await first.create('growing', 1, {});
  await first.close();
  await mkdir(join(dir, 'growing-1'));
  const second = await openManager(t, dir);
  assert.equal(second.get('growing')!.partitions.length, 1);
  assert.equal(existsSync(join(dir, 'growing-1')), false);
});

const DAMAGED: [string, string][] = [
  ['not JSON', '{"formatVersion": 1, "topics": ['],
  ['JSON null', 'null'],
  ['a future format', '{"formatVersion": 99, "topics": []}'],
  ['no topic list', '{"formatVersion": 1}'],
  [
    'an entry without a name',
    '{"formatVersion": 1, "topics": [{"id": "6f1c1f4e-8d2a-4c3b-9a57-0d7e9b1c2a3f"}]}',
  ],
  [
    'the zero uuid',
    '{"formatVersion": 1, "topics": [{"name": "a", "id": "00000000-0000-0000-0000-000000000000", "partitions": 1, "configs": {}}]}',
  ],
  [
    'a partition count of zero',
    '{"formatVersion": 1, "topics": [{"name": "a", "id": "6f1c1f4e-8d2a-4c3b-9a57-0d7e9b1c2a3f", "partitions": 0, "configs": {}}]}',
  ],
  [
    'an invalid config value',
    '{"formatVersion": 1, "topics": [{"name": "a", "id": "6f1c1f4e-8d2a-4c3b-9a57-0d7e9b1c2a3f", "partitions": 1, "configs": {"retention.ms": "soon"}}]}',
  ],
  [
    'a name twice',
    '{"formatVersion": 1, "topics": [' +
      '{"name": "a", "id": "6f1c1f4e-8d2a-4c3b-9a57-0d7e9b1c2a3f", "partitions": 1, "configs": {}},' +
      '{"name": "a", "id": "7f1c1f4e-8d2a-4c3b-9a57-0d7e9b1c2a3f", "partitions": 1, "configs": {}}]}',
  ],
];

for (const [what, text] of DAMAGED) {
  test(`startBroker refuses a topics.json with ${what}, naming the file`, async (t) => {
    const dir = await dataDir(t);
    await writeFile(join(dir, 'topics.json'), text);
    await assert.rejects(
      startBroker({ port: 0, dataDir: dir, logLevel: 'silent', durability: 'none' }),
      (err: Error) => {
        assert.equal(err.name, 'TopicStoreError');
        assert.ok(err.message.includes(join(dir, 'topics.json')), err.message);
        return true;
      },
    );
  });
}
