// CreateTopics through a raw socket at the first, a middle and the last version: defaults, every error
// (name, exists, partitions, replication factor, assignment, configs, duplicates), validateOnly, and the
// v5+ description of what was created (partitions, replication factor, configs) and v7 topic id.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { ZERO_UUID, adminSetup, connect, creatable, createTopics } from './admin-helpers.ts';

for (const version of [0, 4, 7]) {
  test(`CreateTopics v${version}: creates with defaults or the given count`, async (t) => {
    const { broker, client } = await adminSetup(t, { defaultPartitions: 2 });
    const results = await createTopics(client, version, [
      creatable('defaults'),
      creatable('four', { numPartitions: 4, replicationFactor: 1 }),
    ]);
    assert.deepEqual(
      results.map((r) => [r.name, r.errorCode]),
      [
        ['defaults', ErrorCode.NONE],
        ['four', ErrorCode.NONE],
      ],
    );
    assert.equal(broker.context.topics.get('defaults')!.partitions.length, 2);
    assert.equal(broker.context.topics.get('four')!.partitions.length, 4);
    if (version >= 1) assert.equal(results[0].errorMessage, null);
    if (version >= 5) {
      assert.deepEqual(
        results.map((r) => [r.numPartitions, r.replicationFactor]),
        [
          [2, 1],
          [4, 1],
        ],
      );
    }
    if (version >= 7) {
      assert.equal(results[1].topicId, broker.context.topics.get('four')!.id);
      assert.notEqual(results[1].topicId, ZERO_UUID);
    }
  });

  test(`CreateTopics v${version}: each error, and nothing created by a refused topic`, async (t) => {
    const { broker, client } = await adminSetup(t);
    await broker.context.topics.create('taken', 1, {});
    const cases: [ReturnType<typeof creatable>, number, RegExp][] = [
      [creatable('bad/name'), ErrorCode.INVALID_TOPIC_EXCEPTION, /characters/],
      [creatable('..'), ErrorCode.INVALID_TOPIC_EXCEPTION, /not allowed/],
      [creatable('taken'), ErrorCode.TOPIC_ALREADY_EXISTS, /already exists/],
      [creatable('zero', { numPartitions: 0 }), ErrorCode.INVALID_PARTITIONS, /partitions/],
      [creatable('minus', { numPartitions: -2 }), ErrorCode.INVALID_PARTITIONS, /partitions/],
      [
        creatable('rf3', { replicationFactor: 3 }),
        ErrorCode.INVALID_REPLICATION_FACTOR,
        /single-node broker/,
      ],
      [
        creatable('rf0', { replicationFactor: 0 }),
        ErrorCode.INVALID_REPLICATION_FACTOR,
        /replication factor/,
      ],
      [
        creatable('cfg', { configs: [{ name: 'retention.ms', value: 'soon' }] }),
        ErrorCode.INVALID_CONFIG,
        /retention\.ms/,
      ],
      [
        creatable('unknown-cfg', { configs: [{ name: 'compression.type', value: 'gzip' }] }),
        ErrorCode.INVALID_CONFIG,
        /compression\.type/,
      ],
      [
        creatable('elsewhere', { assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }] }),
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        /single-node/,
      ],
      [
        creatable('both', { numPartitions: 1, assignments: [{ partitionIndex: 0, brokerIds: [1] }] }),
        ErrorCode.INVALID_REQUEST,
        /not both/,
      ],
    ];
    const results = await createTopics(
      client,
      version,
      cases.map(([topic]) => topic),
    );
    for (const [i, [topic, code, message]] of cases.entries()) {
      assert.equal(results[i].name, topic.name);
      assert.equal(results[i].errorCode, code, topic.name);
      if (version >= 1) assert.match(results[i].errorMessage ?? '', message, topic.name);
      if (version >= 5) assert.equal(results[i].numPartitions, -1);
    }
    assert.deepEqual(
      broker.context.topics.list().map((x) => x.name),
      ['taken'],
    );
  });
}

test('CreateTopics: a name given twice in one request is refused for both entries', async (t) => {
  const { broker, client } = await adminSetup(t);
  const results = await createTopics(client, 7, [creatable('twice'), creatable('twice'), creatable('once')]);
  assert.deepEqual(
    results.map((r) => [r.name, r.errorCode]),
    [
      ['twice', ErrorCode.INVALID_REQUEST],
      ['twice', ErrorCode.INVALID_REQUEST],
      ['once', ErrorCode.NONE],
    ],
  );
  assert.equal(broker.context.topics.get('twice'), undefined);
});

test('CreateTopics validateOnly (v1+): answers as if created, creates nothing', async (t) => {
  const { broker, client } = await adminSetup(t);
  for (const version of [1, 5, 7]) {
    const results = await createTopics(
      client,
      version,
      [creatable('dry', { numPartitions: 3, configs: [{ name: 'retention.ms', value: '60000' }] })],
      true,
    );
    assert.equal(results[0].errorCode, ErrorCode.NONE, `v${version}`);
    if (version >= 5) assert.equal(results[0].numPartitions, 3);
    if (version >= 7) assert.equal(results[0].topicId, ZERO_UUID);
  }
  const refused = await createTopics(client, 7, [creatable('dry', { replicationFactor: 2 })], true);
  assert.equal(refused[0].errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
  assert.deepEqual(broker.context.topics.list(), []);
});

test('CreateTopics v5+: the configs of the new topic, overrides marked as topic configs', async (t) => {
  const { broker, client } = await adminSetup(t, { retentionMs: 3_600_000 });
  const [result] = await createTopics(client, 7, [
    creatable('with-configs', {
      configs: [
        { name: 'retention.bytes', value: '1048576' },
        { name: 'message.timestamp.type', value: 'LogAppendTime' },
        { name: 'segment.ms', value: null },
      ],
    }),
  ]);
  assert.equal(result.errorCode, ErrorCode.NONE);
  const byName = new Map(result.configs!.map((c) => [c.name, c]));
  assert.deepEqual(byName.get('retention.bytes'), {
    name: 'retention.bytes',
    value: '1048576',
    readOnly: false,
    configSource: 1,
    isSensitive: false,
  });
  assert.equal(byName.get('message.timestamp.type')!.value, 'LogAppendTime');
  assert.deepEqual(
    [byName.get('retention.ms')!.value, byName.get('retention.ms')!.configSource],
    ['3600000', 5],
  );
  assert.equal(byName.get('segment.ms')!.configSource, 5, 'a null value means the default');
  assert.deepEqual(broker.context.topics.get('with-configs')!.overrides, {
    'retention.bytes': '1048576',
    'message.timestamp.type': 'LogAppendTime',
  });
});

test('CreateTopics: a manual assignment placing every partition on this broker alone is accepted', async (t) => {
  const { broker, client } = await adminSetup(t, { nodeId: 3 });
  const assignments = [1, 0, 2].map((partitionIndex) => ({ partitionIndex, brokerIds: [3] }));
  const [ok] = await createTopics(client, 7, [creatable('placed', { assignments })]);
  assert.equal(ok.errorCode, ErrorCode.NONE);
  assert.equal(broker.context.topics.get('placed')!.partitions.length, 3);

  const gap = [0, 2].map((partitionIndex) => ({ partitionIndex, brokerIds: [3] }));
  const [refused] = await createTopics(client, 7, [creatable('gap', { assignments: gap })]);
  assert.equal(refused.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
});

test('CreateTopics: concurrent creates of one name from two connections: exactly one wins', async (t) => {
  const { broker, client } = await adminSetup(t);
  const other = await connect(t, broker.port);
  const [a, b] = await Promise.all([
    createTopics(client, 7, [creatable('race', { numPartitions: 2 })]),
    createTopics(other, 7, [creatable('race', { numPartitions: 5 })]),
  ]);
  const codes = [a[0].errorCode, b[0].errorCode].sort();
  assert.deepEqual(codes, [ErrorCode.NONE, ErrorCode.TOPIC_ALREADY_EXISTS]);
  const winner = a[0].errorCode === ErrorCode.NONE ? a[0] : b[0];
  assert.equal(broker.context.topics.get('race')!.partitions.length, winner.numPartitions);
});
