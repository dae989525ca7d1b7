// DescribeGroups (key 15), versions 0-5: state, protocol type, the chosen protocol (while Stable) and the
// members, with their metadata and assignment while Stable (in flux otherwise, as Kafka reports them). An
// unknown group is "Dead" with no error (v6+ would say GROUP_ID_NOT_FOUND). Authorized operations (v3+):
// INT32_MIN unless asked; asked, every group operation (no ACLs here).
import { DescribeGroupsApi, type DescribeGroupsResponse } from '../../protocol/messages/index.ts';
import { defineHandler } from './handler.ts';
import { AUTHORIZED_OPERATIONS_OMITTED } from './topic-admin.ts';

// AclOperation codes of what a group supports: READ (3), DELETE (6), DESCRIBE (8).
const GROUP_AUTHORIZED_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

export const describeGroupsHandler = defineHandler({
  api: DescribeGroupsApi,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, request): DescribeGroupsResponse {
    const operations =
      ctx.apiVersion >= 3 && request.includeAuthorizedOperations
        ? GROUP_AUTHORIZED_OPERATIONS
        : AUTHORIZED_OPERATIONS_OMITTED;
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) => {
        const described = ctx.broker.groups.describe(groupId);
        return {
          ...described,
          members: described.members.map((m) => ({ ...m })),
          authorizedOperations: operations,
        };
      }),
    };
  },
});
