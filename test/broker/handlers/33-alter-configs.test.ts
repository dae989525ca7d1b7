// AlterConfigs (full replace) and IncrementalAlterConfigs (SET/DELETE) through a raw socket at the first
// and last versions: round trips through DescribeConfigs, persistence across a restart, validation with
// INVALID_CONFIG naming the setting, validateOnly, the broker's read-only settings, and a retention change
// taking effect at the next retention check.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';
import {
  AlterConfigsApi,
  IncrementalAlterConfigsApi,
  type AlterConfigsRequestAlterableConfig,
  type IncrementalAlterConfigsRequestAlterableConfig,
} from '../../../src/protocol/messages/index.ts';
import { startTestBroker } from '../../helpers/broker.ts';
import type { RawClient } from '../../helpers/raw-client.ts';
import { adminSetup, connect, describeConfigs, keptDataDir, topicResource } from './admin-helpers.ts';

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

async function alter(
  client: RawClient,
  version: number,
  topic: string,
  configs: AlterConfigsRequestAlterableConfig[],
  validateOnly = false,
) {
  const res = await client.request(AlterConfigsApi, version, {
    resources: [{ resourceType: 2, resourceName: topic, configs }],
    validateOnly,
  });
  return res.responses[0];
}

async function alterIncrementally(
  client: RawClient,
  version: number,
  topic: string,
  configs: IncrementalAlterConfigsRequestAlterableConfig[],
  validateOnly = false,
) {
  const res = await client.request(IncrementalAlterConfigsApi, version, {
    resources: [{ resourceType: 2, resourceName: topic, configs }],
    validateOnly,
  });
  return res.responses[0];
}

/** The topic's overrides as DescribeConfigs reports them (source DYNAMIC_TOPIC_CONFIG). */
async function overridesOf(client: RawClient, topic: string): Promise<Record<string, string>> {
  const res = await describeConfigs(client, 4, [topicResource(topic)]);
  return Object.fromEntries(
    res.results[0].configs.filter((c) => c.configSource === 1).map((c) => [c.name, c.value ?? '']),
  );
}

for (const version of [0, 2]) {
  test(`AlterConfigs v${version}: replaces every override of the topic`, async (t) => {
    const { broker, client } = await adminSetup(t);
    await broker.context.topics.create('replaced', 1, { 'retention.ms': '1000', 'segment.ms': '60000' });
    const res = await alter(client, version, 'replaced', [
      { name: 'retention.bytes', value: '2048' },
      { name: 'max.message.bytes', value: '65536' },
      { name: 'segment.ms', value: null },
    ]);
    assert.deepEqual([res.errorCode, res.errorMessage, res.resourceName], [ErrorCode.NONE, null, 'replaced']);
    assert.deepEqual(await overridesOf(client, 'replaced'), {
      'retention.bytes': '2048',
      'max.message.bytes': '65536',
    });
    assert.equal(broker.context.topics.get('replaced')!.settings['max.message.bytes'], 65536);
  });

  test(`AlterConfigs v${version}: one invalid value refuses the resource and changes nothing`, async (t) => {
    const { broker, client } = await adminSetup(t);
    await broker.context.topics.create('guarded', 1, { 'retention.ms': '1000' });
    const cases: [AlterConfigsRequestAlterableConfig, RegExp][] = [
      [{ name: 'retention.ms', value: 'forever' }, /retention\.ms/],
      [{ name: 'segment.bytes', value: '10' }, /segment\.bytes/],
      [{ name: 'cleanup.policy', value: 'compact' }, /cleanup\.policy/],
      [{ name: 'message.timestamp.type', value: 'Whenever' }, /message\.timestamp\.type/],
      [{ name: 'unclean.leader.election.enable', value: 'true' }, /unclean\.leader\.election\.enable/],
    ];
    for (const [bad, message] of cases) {
      const res = await alter(client, version, 'guarded', [{ name: 'retention.bytes', value: '1' }, bad]);
      assert.equal(res.errorCode, ErrorCode.INVALID_CONFIG, bad.name);
      assert.match(res.errorMessage ?? '', message);
    }
    assert.deepEqual(broker.context.topics.get('guarded')!.overrides, { 'retention.ms': '1000' });
  });
}

for (const version of [0, 1]) {
  test(`IncrementalAlterConfigs v${version}: SET and DELETE change single overrides and keep the rest`, async (t) => {
    const { broker, client } = await adminSetup(t);
    await broker.context.topics.create('tuned', 1, { 'retention.ms': '1000', 'segment.ms': '60000' });
    const res = await alterIncrementally(client, version, 'tuned', [
      { name: 'retention.bytes', configOperation: SET, value: '4096' },
      { name: 'segment.ms', configOperation: DELETE, value: null },
      { name: 'retention.ms', configOperation: SET, value: '2000' },
    ]);
    assert.equal(res.errorCode, ErrorCode.NONE);
    assert.deepEqual(await overridesOf(client, 'tuned'), {
      'retention.ms': '2000',
      'retention.bytes': '4096',
    });
    assert.equal(broker.context.topics.get('tuned')!.settings['retention.bytes'], 4096);
  });

  test(`IncrementalAlterConfigs v${version}: APPEND, SUBTRACT, SET without a value and bad values are refused`, async (t) => {
    const { broker, client } = await adminSetup(t);
    await broker.context.topics.create('strict', 1, { 'retention.ms': '1000' });
    const cases: [IncrementalAlterConfigsRequestAlterableConfig, number, RegExp][] = [
      [
        { name: 'cleanup.policy', configOperation: APPEND, value: 'compact' },
        ErrorCode.INVALID_REQUEST,
        /APPEND/,
      ],
      [
        { name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' },
        ErrorCode.INVALID_REQUEST,
        /SUBTRACT/,
      ],
      [
        { name: 'retention.ms', configOperation: SET, value: null },
        ErrorCode.INVALID_REQUEST,
        /retention\.ms/,
      ],
      [
        { name: 'retention.ms', configOperation: SET, value: '-5' },
        ErrorCode.INVALID_CONFIG,
        /retention\.ms/,
      ],
      [
        { name: 'no.such.thing', configOperation: DELETE, value: null },
        ErrorCode.INVALID_CONFIG,
        /no\.such\.thing/,
      ],
    ];
    for (const [change, code, message] of cases) {
      const res = await alterIncrementally(client, version, 'strict', [
        { name: 'retention.bytes', configOperation: SET, value: '1' },
        change,
      ]);
      assert.equal(res.errorCode, code, `${change.name} op ${change.configOperation}`);
      assert.match(res.errorMessage ?? '', message);
    }
    const twice = await alterIncrementally(client, version, 'strict', [
      { name: 'retention.ms', configOperation: SET, value: '1' },
      { name: 'retention.ms', configOperation: DELETE, value: null },
    ]);
    assert.equal(twice.errorCode, ErrorCode.INVALID_REQUEST);
    assert.deepEqual(broker.context.topics.get('strict')!.overrides, { 'retention.ms': '1000' });
  });
}

test('AlterConfigs and IncrementalAlterConfigs: validateOnly checks without changing anything', async (t) => {
  const { broker, client } = await adminSetup(t);
  await broker.context.topics.create('dry', 1, {});
  const ok = await alter(client, 1, 'dry', [{ name: 'retention.ms', value: '5' }], true);
  assert.equal(ok.errorCode, ErrorCode.NONE);
  const bad = await alter(client, 1, 'dry', [{ name: 'retention.ms', value: 'x' }], true);
  assert.equal(bad.errorCode, ErrorCode.INVALID_CONFIG);
  const inc = await alterIncrementally(
    client,
    1,
    'dry',
    [{ name: 'retention.ms', configOperation: SET, value: '5' }],
    true,
  );
  assert.equal(inc.errorCode, ErrorCode.NONE);
  assert.deepEqual(broker.context.topics.get('dry')!.overrides, {});
});

test('AlterConfigs: unknown topics, the read-only broker and unsupported resource types', async (t) => {
  const { client } = await adminSetup(t);
  const res = await client.request(AlterConfigsApi, 2, {
    resources: [
      { resourceType: 2, resourceName: 'absent', configs: [] },
      { resourceType: 4, resourceName: '1', configs: [{ name: 'num.partitions', value: '3' }] },
      { resourceType: 4, resourceName: '1', configs: [] },
      { resourceType: 4, resourceName: '2', configs: [] },
      { resourceType: 8, resourceName: '1', configs: [] },
    ],
    validateOnly: false,
  });
  assert.deepEqual(
    res.responses.map((r) => [r.resourceType, r.resourceName, r.errorCode]),
    [
      [2, 'absent', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [4, '1', ErrorCode.INVALID_CONFIG],
      [4, '1', ErrorCode.NONE],
      [4, '2', ErrorCode.INVALID_REQUEST],
      [8, '1', ErrorCode.INVALID_REQUEST],
    ],
  );
  assert.match(res.responses[1].errorMessage ?? '', /num\.partitions.*restart/);
});

test('Config changes persist across a restart on the same data directory', async (t) => {
  const dataDir = await keptDataDir(t);
  const first = await startTestBroker(t, { dataDir });
  const client1 = await connect(t, first.port);
  await first.context.topics.create('durable', 2, {});
  await alter(client1, 2, 'durable', [{ name: 'retention.ms', value: '123456' }]);
  await alterIncrementally(client1, 1, 'durable', [
    { name: 'message.timestamp.type', configOperation: SET, value: 'LogAppendTime' },
  ]);
  client1.close();
  await first.close();

  const second = await startTestBroker(t, { dataDir });
  const client2 = await connect(t, second.port);
  assert.deepEqual(await overridesOf(client2, 'durable'), {
    'retention.ms': '123456',
    'message.timestamp.type': 'LogAppendTime',
  });
  assert.equal(second.context.topics.get('durable')!.settings['message.timestamp.type'], 'LogAppendTime');
});

test('A retention change takes effect at the next retention check', async (t) => {
  const { broker, client } = await adminSetup(t);
  // Small segments, so a few appends leave closed segments that retention may delete.
  await broker.context.topics.create('shrinking', 1, { 'segment.bytes': '1024' });
  const log = broker.context.topics.partition('shrinking', 0)!.log;
  for (let i = 0; i < 8; i++) {
    await log.append(
      buildRecordBatch({ records: [{ key: null, value: Buffer.alloc(600, i), headers: [] }] }),
    );
  }
  assert.ok(log.segmentCount > 2);
  assert.equal(await broker.context.topics.applyRetention(Date.now()), 0, 'the default keeps a week');

  const res = await alterIncrementally(client, 1, 'shrinking', [
    { name: 'retention.bytes', configOperation: SET, value: '1500' },
  ]);
  assert.equal(res.errorCode, ErrorCode.NONE);
  assert.equal(log.logStartOffset, 0n, 'nothing is deleted before the check runs');
  assert.ok((await broker.context.topics.applyRetention(Date.now())) > 0);
  assert.ok(log.logStartOffset > 0n);
  assert.ok(log.sizeBytes <= 1500 + 1024);
});
