// DescribeCluster (key 60), versions 0-1: this broker is the cluster and its controller. v1 asks for an
// endpoint type; brokers (1) is what we have. Controllers (2) is what a client asks of a KRaft
// controller directly, which this broker is not: it answers UNSUPPORTED_ENDPOINT_TYPE, as a Kafka broker does.
import { ErrorCode } from '../../protocol/error-codes.ts';
import { DescribeClusterApi, type DescribeClusterResponse } from '../../protocol/messages/index.ts';
import { defineHandler } from './handler.ts';
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_AUTHORIZED_OPERATIONS } from './topic-admin.ts';

const BROKERS_ENDPOINT = 1;

export const describeClusterHandler = defineHandler({
  api: DescribeClusterApi,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request): DescribeClusterResponse {
    const { broker } = ctx;
    const base = {
      throttleTimeMs: 0,
      endpointType: request.endpointType,
      clusterId: broker.clusterId,
      controllerId: broker.nodeId,
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
        ? CLUSTER_AUTHORIZED_OPERATIONS
        : AUTHORIZED_OPERATIONS_OMITTED,
    };
    if (ctx.apiVersion >= 1 && request.endpointType !== BROKERS_ENDPOINT) {
      return {
        ...base,
        errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: `endpoint type ${request.endpointType} is not served here; this broker describes brokers (1)`,
        controllerId: -1,
        brokers: [],
      };
    }
    return {
      ...base,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      brokers: [
        { brokerId: broker.nodeId, host: broker.advertisedHost, port: broker.advertisedPort, rack: null },
      ],
    };
  },
});
