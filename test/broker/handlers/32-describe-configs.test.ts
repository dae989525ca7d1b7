// DescribeConfigs through a raw socket at the first, a middle and the last version: every topic config with
// its source, synonyms, type and documentation; the key filter; the broker's own settings under Kafka
// names; unknown topics, other brokers and unsupported resource types.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TOPIC_CONFIGS } from '../../../src/broker/topics/topic-config.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { adminSetup, describeConfigs, topicResource } from './admin-helpers.ts';

for (const version of [0, 2, 4]) {
  test(`DescribeConfigs v${version}: every topic config, overrides as topic configs, the rest as defaults`, async (t) => {
    const { broker, client } = await adminSetup(t, { retentionMs: 86_400_000 });
    await broker.context.topics.create('described', 1, { 'retention.bytes': '5000000' });
    const res = await describeConfigs(client, version, [topicResource('described')], {
      synonyms: true,
      documentation: true,
    });
    const [result] = res.results;
    assert.equal(result.errorCode, ErrorCode.NONE);
    assert.equal(result.errorMessage, null);
    assert.deepEqual(result.resourceType, 2);
    assert.deepEqual(result.configs.map((c) => c.name).sort(), Object.keys(TOPIC_CONFIGS).sort());
    const byName = new Map(result.configs.map((c) => [c.name, c]));
    const overridden = byName.get('retention.bytes')!;
    const defaulted = byName.get('retention.ms')!;
    assert.equal(overridden.value, '5000000');
    assert.equal(defaulted.value, '86400000');
    assert.equal(overridden.readOnly, false);
    assert.equal(overridden.isSensitive, false);
    if (version === 0) {
      assert.equal(overridden.isDefault, false);
      assert.equal(defaulted.isDefault, true);
    } else {
      assert.equal(overridden.configSource, 1);
      assert.equal(defaulted.configSource, 5);
      assert.deepEqual(overridden.synonyms, [
        { name: 'retention.bytes', value: '5000000', source: 1 },
        { name: 'log.retention.bytes', value: '-1', source: 5 },
      ]);
      // The broker's retention was set by its operator: a static broker config, not a built-in default.
      assert.deepEqual(defaulted.synonyms, [{ name: 'log.retention.ms', value: '86400000', source: 4 }]);
    }
    if (version >= 3) {
      assert.equal(defaulted.configType, 5); // LONG
      assert.equal(byName.get('message.timestamp.type')!.configType, 2); // STRING
      assert.match(defaulted.documentation ?? '', /segment/);
    }
  });
}

test('DescribeConfigs: configurationKeys filters; synonyms and documentation only when asked', async (t) => {
  const { broker, client } = await adminSetup(t);
  await broker.context.topics.create('filtered', 1, {});
  const res = await describeConfigs(client, 4, [
    topicResource('filtered', ['segment.bytes', 'cleanup.policy', 'no.such.config']),
  ]);
  const configs = res.results[0].configs;
  assert.deepEqual(
    configs.map((c) => [c.name, c.value]),
    [
      ['segment.bytes', String(broker.config.segmentBytes)],
      ['cleanup.policy', 'delete'],
    ],
  );
  for (const c of configs) {
    assert.deepEqual(c.synonyms, []);
    assert.equal(c.documentation, null);
  }
});

test('DescribeConfigs: unknown or invalid topics, other brokers and other resource types', async (t) => {
  const { client } = await adminSetup(t, { nodeId: 4 });
  const res = await describeConfigs(client, 4, [
    topicResource('absent'),
    topicResource('bad/name'),
    { resourceType: 4, resourceName: '9', configurationKeys: null },
    { resourceType: 8, resourceName: '4', configurationKeys: null },
    { resourceType: 32, resourceName: 'group', configurationKeys: null },
  ]);
  assert.deepEqual(
    res.results.map((r) => [r.resourceType, r.resourceName, r.errorCode, r.configs.length]),
    [
      [2, 'absent', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0],
      [2, 'bad/name', ErrorCode.INVALID_TOPIC_EXCEPTION, 0],
      [4, '9', ErrorCode.INVALID_REQUEST, 0],
      [8, '4', ErrorCode.INVALID_REQUEST, 0],
      [32, 'group', ErrorCode.INVALID_REQUEST, 0],
    ],
  );
  for (const r of res.results) assert.ok(r.errorMessage);
});

test('DescribeConfigs: the broker resource lists its settings under Kafka names, read-only', async (t) => {
  const { client } = await adminSetup(t, {
    nodeId: 4,
    defaultPartitions: 3,
    autoCreateTopics: false,
    retentionBytes: 1_000_000_000,
  });
  for (const name of ['4', '']) {
    const res = await describeConfigs(client, 2, [
      { resourceType: 4, resourceName: name, configurationKeys: null },
    ]);
    const [result] = res.results;
    assert.equal(result.errorCode, ErrorCode.NONE);
    const byName = new Map(result.configs.map((c) => [c.name, c]));
    assert.equal(byName.get('num.partitions')!.value, '3');
    assert.equal(byName.get('num.partitions')!.configSource, 4);
    assert.equal(byName.get('auto.create.topics.enable')!.value, 'false');
    assert.equal(byName.get('log.retention.bytes')!.value, '1000000000');
    assert.equal(byName.get('message.max.bytes')!.value, '1048588');
    assert.equal(byName.get('message.max.bytes')!.configSource, 5);
    assert.equal(byName.get('node.id')!.value, '4');
    assert.ok(byName.has('log.retention.ms'));
    for (const c of result.configs) assert.equal(c.readOnly, true, c.name);
  }
});
