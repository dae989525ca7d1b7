// DescribeCluster through a raw socket at both versions: this broker alone, as controller, with the
// cluster id Metadata reports; v1's endpoint type (brokers served, controllers refused).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { DescribeClusterApi } from '../../../src/protocol/messages/index.ts';
import { adminSetup, metadata } from './admin-helpers.ts';

for (const version of [0, 1]) {
  test(`DescribeCluster v${version}: this broker is the cluster and its controller`, async (t) => {
    const { broker, client } = await adminSetup(t, { nodeId: 5 });
    const res = await client.request(DescribeClusterApi, version, {
      includeClusterAuthorizedOperations: false,
      endpointType: 1,
    });
    assert.equal(res.errorCode, ErrorCode.NONE);
    assert.equal(res.errorMessage, null);
    assert.equal(res.clusterId, broker.context.clusterId);
    assert.equal(res.clusterId, (await metadata(client, 12, [])).clusterId);
    assert.equal(res.controllerId, 5);
    assert.deepEqual(res.brokers, [{ brokerId: 5, host: '127.0.0.1', port: broker.port, rack: null }]);
    assert.equal(res.clusterAuthorizedOperations, -2147483648);
    if (version >= 1) assert.equal(res.endpointType, 1);
  });
}

test('DescribeCluster: authorized operations when asked; controllers endpoint refused', async (t) => {
  const { client } = await adminSetup(t);
  const withOps = await client.request(DescribeClusterApi, 1, {
    includeClusterAuthorizedOperations: true,
    endpointType: 1,
  });
  assert.equal(withOps.clusterAuthorizedOperations, 0b1_1111_1010_0000);
  const controllers = await client.request(DescribeClusterApi, 1, {
    includeClusterAuthorizedOperations: false,
    endpointType: 2,
  });
  assert.equal(controllers.errorCode, ErrorCode.UNSUPPORTED_ENDPOINT_TYPE);
  assert.deepEqual(controllers.brokers, []);
});
