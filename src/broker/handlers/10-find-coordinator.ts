// FindCoordinator (key 10), versions 0-4. This broker is the only one, so it coordinates every group and
// every transactional id. v0-3 ask for one key and get a flat answer; v4 asks for several
// (`coordinatorKeys`) and gets one entry each. Key types: 0 group, 1 transaction; any other type is
// INVALID_REQUEST, as Kafka answers. v0 has no key type (a group). Min version 0 is advertised on purpose:
// librdkafka 2.0.2 enables consumer groups only when FindCoordinator v0 is in the range.
import { ErrorCode } from '../../protocol/error-codes.ts';
import { FindCoordinatorApi, type FindCoordinatorResponse } from '../../protocol/messages/index.ts';
import { defineHandler } from './handler.ts';

const GROUP_KEY = 0;
const TRANSACTION_KEY = 1;

export const findCoordinatorHandler = defineHandler({
  api: FindCoordinatorApi,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, request): FindCoordinatorResponse {
    const { nodeId, advertisedHost: host, advertisedPort: port } = ctx.broker;
    const keyType = ctx.apiVersion >= 1 ? request.keyType : GROUP_KEY;
    const known = keyType === GROUP_KEY || keyType === TRANSACTION_KEY;
    const errorCode = known ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST;
    const errorMessage = known
      ? null
      : `unknown coordinator key type ${keyType}: 0 (group) or 1 (transaction)`;
    const found = { nodeId: known ? nodeId : -1, host: known ? host : '', port: known ? port : -1 };
    if (ctx.apiVersion >= 4) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        nodeId: -1,
        host: '',
        port: -1,
        coordinators: request.coordinatorKeys.map((key) => ({ key, ...found, errorCode, errorMessage })),
      };
    }
    return { throttleTimeMs: 0, errorCode, errorMessage, ...found, coordinators: [] };
  },
});
