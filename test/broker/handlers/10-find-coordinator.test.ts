// FindCoordinator through a raw socket: v0-3 (one key, flat answer) and v4 (several keys), group and
// transaction key types answered with this broker, other types INVALID_REQUEST; v0 is advertised.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { ApiVersionsApi, FindCoordinatorApi } from '../../../src/protocol/messages/index.ts';
import { groupSetup } from './group-helpers.ts';

for (const version of [0, 1, 2, 3]) {
  test(`FindCoordinator v${version}: this broker coordinates the group`, async (t) => {
    const { broker, client } = await groupSetup(t, { nodeId: 3 });
    const res = await client.request(FindCoordinatorApi, version, {
      key: 'g1',
      keyType: 0,
      coordinatorKeys: [],
    });
    assert.deepEqual(
      [res.errorCode, res.nodeId, res.host, res.port],
      [ErrorCode.NONE, 3, '127.0.0.1', broker.port],
    );
    if (version >= 1) {
      assert.equal(res.errorMessage, null);
      const txn = await client.request(FindCoordinatorApi, version, {
        key: 'tx',
        keyType: 1,
        coordinatorKeys: [],
      });
      assert.deepEqual([txn.errorCode, txn.nodeId], [ErrorCode.NONE, 3]);
      const bad = await client.request(FindCoordinatorApi, version, {
        key: 'x',
        keyType: 2,
        coordinatorKeys: [],
      });
      assert.equal(bad.errorCode, ErrorCode.INVALID_REQUEST);
      assert.match(bad.errorMessage ?? '', /key type 2/);
      assert.equal(bad.nodeId, -1);
    }
  });
}

test('FindCoordinator v4: one coordinator per key; an unknown key type fails each key', async (t) => {
  const { broker, client } = await groupSetup(t);
  const res = await client.request(FindCoordinatorApi, 4, {
    key: '',
    keyType: 0,
    coordinatorKeys: ['a', 'b'],
  });
  assert.deepEqual(res.coordinators, [
    { key: 'a', nodeId: 1, host: '127.0.0.1', port: broker.port, errorCode: 0, errorMessage: null },
    { key: 'b', nodeId: 1, host: '127.0.0.1', port: broker.port, errorCode: 0, errorMessage: null },
  ]);
  const bad = await client.request(FindCoordinatorApi, 4, { key: '', keyType: 7, coordinatorKeys: ['a'] });
  assert.equal(bad.coordinators[0].errorCode, ErrorCode.INVALID_REQUEST);
});

test('ApiVersions advertises every group API from the versions the clients need (FindCoordinator from 0)', async (t) => {
  const { client } = await groupSetup(t);
  const res = await client.request(ApiVersionsApi, 3, {
    clientSoftwareName: 'test',
    clientSoftwareVersion: '1',
  });
  const ranges = Object.fromEntries(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
  assert.deepEqual(
    [8, 9, 10, 11, 12, 13, 14, 15, 16, 42, 47].map((key) => ranges[key]),
    [
      [0, 8],
      [0, 8],
      [0, 4],
      [0, 9],
      [0, 4],
      [0, 5],
      [0, 5],
      [0, 5],
      [0, 5],
      [0, 2],
      [0, 0],
    ],
  );
});
