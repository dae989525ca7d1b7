// CreatePartitions (key 37), versions 0-3. Topics only grow: a count at or below the current one is
// refused with INVALID_PARTITIONS and a message giving both numbers. A manual assignment for the new
// partitions is accepted only when it puts each one on this broker alone (the same rule as CreateTopics);
// anything else is INVALID_REPLICA_ASSIGNMENT. validateOnly checks without growing.
import { ErrorCode } from '../../protocol/error-codes.ts';
import {
  CreatePartitionsApi,
  type CreatePartitionsRequestCreatePartitionsTopic,
  type CreatePartitionsResponse,
  type CreatePartitionsResponseCreatePartitionsTopicResult,
} from '../../protocol/messages/index.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import { MAX_PARTITIONS, failureCode, messageOf, replicaAssignmentProblem } from './topic-admin.ts';

type Result = CreatePartitionsResponseCreatePartitionsTopicResult;

export const createPartitionsHandler = defineHandler({
  api: CreatePartitionsApi,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request): Promise<CreatePartitionsResponse> {
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);

    const results: Result[] = [];
    for (const topic of request.topics) {
      if (counts.get(topic.name)! > 1) {
        results.push(
          result(topic.name, ErrorCode.INVALID_REQUEST, 'topic appears more than once in the request'),
        );
        continue;
      }
      const problem = check(ctx, topic);
      if (problem) {
        results.push(result(topic.name, problem.errorCode, problem.message));
        continue;
      }
      if (request.validateOnly) {
        results.push(result(topic.name, ErrorCode.NONE, null));
        continue;
      }
      try {
        await ctx.broker.topics.addPartitions(topic.name, topic.count);
        // The topic may have been deleted while this request waited its turn (addPartitions then does nothing).
        const stillThere = ctx.broker.topics.get(topic.name) !== undefined;
        results.push(
          stillThere
            ? result(topic.name, ErrorCode.NONE, null)
            : result(topic.name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic.name}" was deleted`),
        );
      } catch (err) {
        results.push(
          result(topic.name, failureCode(ctx, err, `adding partitions to ${topic.name}`), messageOf(err)),
        );
      }
    }
    return { throttleTimeMs: 0, results };
  },
});

function check(
  ctx: RequestContext,
  request: CreatePartitionsRequestCreatePartitionsTopic,
): { errorCode: number; message: string } | undefined {
  const topic = ctx.broker.topics.get(request.name);
  if (!topic) {
    return {
      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      message: `topic "${request.name}" does not exist`,
    };
  }
  const current = topic.partitions.length;
  if (request.count === current) {
    return { errorCode: ErrorCode.INVALID_PARTITIONS, message: `topic already has ${current} partitions` };
  }
  if (request.count < current) {
    return {
      errorCode: ErrorCode.INVALID_PARTITIONS,
      message: `topic has ${current} partitions, more than the requested ${request.count}; partitions cannot be removed`,
    };
  }
  if (request.count > MAX_PARTITIONS) {
    return {
      errorCode: ErrorCode.INVALID_PARTITIONS,
      message: `${request.count} partitions is more than this broker's limit of ${MAX_PARTITIONS}`,
    };
  }
  // An empty list is read like null (no manual assignment): some clients send [] when the user gave none.
  if (request.assignments !== null && request.assignments.length > 0) {
    const added = request.count - current;
    if (request.assignments.length !== added) {
      return {
        errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        message: `${request.assignments.length} assignments given for ${added} new partitions`,
      };
    }
    const problem = replicaAssignmentProblem(
      request.assignments.map((a) => a.brokerIds),
      ctx.broker.nodeId,
    );
    if (problem !== undefined) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: problem };
  }
  return undefined;
}

function result(name: string, errorCode: number, errorMessage: string | null): Result {
  return { name, errorCode, errorMessage };
}
