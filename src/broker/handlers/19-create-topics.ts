// CreateTopics (key 19), versions 0-7. Each topic is checked in Kafka's order (duplicate in the request,
// name, already exists, partition count, replication factor, assignment, configs) and created only when
// all pass and validateOnly is off. -1 partitions / replication factor mean the broker's defaults. One node
// means replication factor 1: anything larger is refused rather than silently weakened. A manual
// assignment is accepted only when it places every partition on this broker alone (then it just gives the
// partition count); anything else is refused with INVALID_REPLICA_ASSIGNMENT, Kafka's code for it.
import { ErrorCode } from '../../protocol/error-codes.ts';
import {
  CreateTopicsApi,
  type CreateTopicsRequestCreatableTopic,
  type CreateTopicsResponse,
  type CreateTopicsResponseCreatableTopicResult,
} from '../../protocol/messages/index.ts';
import type { TopicOverrides } from '../topics/topic-config.ts';
import { topicNameProblem } from '../topics/topic-name.ts';
import { TopicExistsError, ZERO_UUID } from '../topics/topic-manager.ts';
import { checkOverrides, topicConfigEntries } from './config-entries.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import { MAX_PARTITIONS, failureCode, messageOf, replicaAssignmentProblem } from './topic-admin.ts';

type TopicResult = CreateTopicsResponseCreatableTopicResult;

interface Plan {
  readonly partitions: number;
  readonly overrides: TopicOverrides;
}

export const createTopicsHandler = defineHandler({
  api: CreateTopicsApi,
  minVersion: 0,
  maxVersion: 7,
  async handle(ctx, request): Promise<CreateTopicsResponse> {
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);

    const results: TopicResult[] = [];
    for (const topic of request.topics) {
      if (counts.get(topic.name)! > 1) {
        results.push(
          failed(topic.name, ErrorCode.INVALID_REQUEST, 'topic appears more than once in the request'),
        );
        continue;
      }
      const plan = planTopic(ctx, topic);
      if ('errorCode' in plan) {
        results.push(failed(topic.name, plan.errorCode, plan.message));
        continue;
      }
      if (request.validateOnly) {
        results.push(created(ctx, topic.name, ZERO_UUID, plan));
        continue;
      }
      try {
        const made = await ctx.broker.topics.create(topic.name, plan.partitions, plan.overrides, {
          exclusive: true,
        });
        results.push(created(ctx, topic.name, made.id, plan));
      } catch (err) {
        // Another connection created it between our check and our turn in the topic manager's queue.
        const code =
          err instanceof TopicExistsError
            ? ErrorCode.TOPIC_ALREADY_EXISTS
            : failureCode(ctx, err, `creating topic ${topic.name}`);
        results.push(failed(topic.name, code, messageOf(err)));
      }
    }
    return { throttleTimeMs: 0, topics: results };
  },
});

function planTopic(
  ctx: RequestContext,
  topic: CreateTopicsRequestCreatableTopic,
): Plan | { errorCode: number; message: string } {
  const { broker } = ctx;
  const nameProblem = topicNameProblem(topic.name);
  if (nameProblem !== undefined)
    return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, message: nameProblem };
  if (broker.topics.get(topic.name)) {
    return { errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, message: `topic "${topic.name}" already exists` };
  }

  const manual = topic.assignments.length > 0;
  if (manual && (topic.numPartitions !== -1 || topic.replicationFactor !== -1)) {
    return {
      errorCode: ErrorCode.INVALID_REQUEST,
      message: 'give either numPartitions and replicationFactor or a manual assignment, not both',
    };
  }

  const partitions = manual
    ? topic.assignments.length
    : topic.numPartitions === -1
      ? broker.config.defaultPartitions
      : topic.numPartitions;
  if (partitions < 1 || partitions > MAX_PARTITIONS) {
    return {
      errorCode: ErrorCode.INVALID_PARTITIONS,
      message: `number of partitions must be between 1 and ${MAX_PARTITIONS} (or -1 for the default), got ${partitions}`,
    };
  }

  const rf = topic.replicationFactor;
  if (rf === 0 || rf < -1) {
    return {
      errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
      message: `replication factor must be 1 (or -1 for the default), got ${rf}`,
    };
  }
  if (rf > 1) {
    return {
      errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
      message: `replication factor ${rf} is larger than the number of brokers: this is a single-node broker, use 1`,
    };
  }

  if (manual) {
    const ordered = [...topic.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
    if (ordered.some((a, i) => a.partitionIndex !== i)) {
      return {
        errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        message: 'assigned partition indexes must be 0, 1, 2, ... with no gaps or repeats',
      };
    }
    const problem = replicaAssignmentProblem(
      ordered.map((a) => a.brokerIds),
      broker.nodeId,
    );
    if (problem !== undefined) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: problem };
  }

  const configs = checkOverrides(topic.configs);
  if (!configs.ok) return { errorCode: ErrorCode[configs.errorCode], message: configs.message };
  return { partitions, overrides: configs.overrides };
}

function created(ctx: RequestContext, name: string, topicId: string, plan: Plan): TopicResult {
  return {
    name,
    topicId,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    numPartitions: plan.partitions,
    replicationFactor: 1,
    configs: topicConfigEntries(ctx.broker.config, plan.overrides).map((e) => ({
      name: e.name,
      value: e.value,
      readOnly: e.readOnly,
      configSource: e.source,
      isSensitive: false,
    })),
  };
}

function failed(name: string, errorCode: number, message: string): TopicResult {
  return {
    name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage: message,
    numPartitions: -1,
    replicationFactor: -1,
    configs: null,
  };
}
