// Small rules shared by the topic admin handlers (Metadata, CreateTopics, CreatePartitions, DescribeCluster):
// limits, manual replica assignments on a single node, authorized-operation bitfields, and turning a
// failure of the topic manager into an error code for the response.
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { RequestContext } from './handler.ts';

/** Upper bound on partitions per topic: each one is a directory and open files. Same cap as the config's. */
export const MAX_PARTITIONS = 10_000;

/** "Not requested" in the authorized-operations fields. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

// AclOperation codes (Kafka's AclOperation enum).
const READ = 3;
const WRITE = 4;
const CREATE = 5;
const DELETE = 6;
const ALTER = 7;
const DESCRIBE = 8;
const CLUSTER_ACTION = 9;
const DESCRIBE_CONFIGS = 10;
const ALTER_CONFIGS = 11;
const IDEMPOTENT_WRITE = 12;

const bitfield = (ops: readonly number[]): number => ops.reduce((bits, op) => bits | (1 << op), 0);

/**
 * With no authorizer, Kafka reports every operation the resource type supports; this broker has no ACLs
 * either, so every client may do all of them.
 */
export const TOPIC_AUTHORIZED_OPERATIONS = bitfield([
  READ,
  WRITE,
  CREATE,
  DELETE,
  ALTER,
  DESCRIBE,
  DESCRIBE_CONFIGS,
  ALTER_CONFIGS,
]);
export const CLUSTER_AUTHORIZED_OPERATIONS = bitfield([
  CREATE,
  ALTER,
  DESCRIBE,
  CLUSTER_ACTION,
  DESCRIBE_CONFIGS,
  ALTER_CONFIGS,
  IDEMPOTENT_WRITE,
]);

/**
 * Why a manual assignment (broker ids per new partition, in partition order) cannot be honoured, or
 * undefined. On one node the only assignment that can be honoured puts each partition on this broker alone.
 */
export function replicaAssignmentProblem(
  assignments: readonly (readonly number[])[],
  nodeId: number,
): string | undefined {
  for (const [i, brokers] of assignments.entries()) {
    if (brokers.length !== 1 || brokers[0] !== nodeId) {
      return (
        `assignment [${brokers.join(', ')}] for new partition #${i} is not possible on a single-node ` +
        `broker: each partition can only be placed on broker ${nodeId} alone`
      );
    }
  }
  return undefined;
}

/** The error code for a failed topic-manager operation (a storage error, typically), logged once. */
export function failureCode(ctx: RequestContext, err: unknown, what: string): number {
  ctx.broker.logger.error({ err, clientId: ctx.clientId }, `${what} failed`);
  if (err instanceof Error && 'kafkaError' in err && typeof err.kafkaError === 'string') {
    const code = (ErrorCode as Record<string, number>)[err.kafkaError];
    if (code !== undefined) return code;
  }
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** The message of an error, for the response's errorMessage field. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
