// Metadata (key 3), versions 0-12. This broker is the whole cluster: the only broker, the controller and
// the leader of every partition (epoch 0, replicas = isr = [self]). Topic lists: v0 empty = all topics;
// v1+ null = all, empty = none (librdkafka's broker-only refresh). From v10 an entry may name a topic by
// id instead (zero id = by name). Unknown topics are created when the broker allows auto-creation and the
// request does too (v4+; always for v0-3), synchronously, so the client gets the topic in this answer.
import { ErrorCode } from '../../protocol/error-codes.ts';
import {
  MetadataApi,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseMetadataResponseTopic,
} from '../../protocol/messages/index.ts';
import { topicNameProblem } from '../topics/topic-name.ts';
import { ZERO_UUID, type Topic } from '../topics/topic-manager.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  CLUSTER_AUTHORIZED_OPERATIONS,
  TOPIC_AUTHORIZED_OPERATIONS,
  failureCode,
} from './topic-admin.ts';

type TopicResult = MetadataResponseMetadataResponseTopic;

export const metadataHandler = defineHandler({
  api: MetadataApi,
  minVersion: 0,
  maxVersion: 12,
  async handle(ctx, request): Promise<MetadataResponse> {
    const { broker, apiVersion } = ctx;
    const topicOps = request.includeTopicAuthorizedOperations
      ? TOPIC_AUTHORIZED_OPERATIONS
      : AUTHORIZED_OPERATIONS_OMITTED;
    const describe = (topic: Topic): TopicResult => describeTopic(ctx, topic, topicOps);

    let topics: TopicResult[];
    const all = request.topics === null || (apiVersion === 0 && request.topics.length === 0);
    if (all) {
      topics = broker.topics
        .list()
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map(describe);
    } else {
      topics = [];
      const answered = new Set<string>();
      for (const entry of request.topics ?? []) {
        const result = await lookUp(ctx, request, entry.topicId, entry.name, describe);
        if (result === undefined) continue;
        // Duplicates in the request get one answer, as in Kafka.
        const key = result.topicId !== ZERO_UUID ? `id:${result.topicId}` : `name:${result.name}`;
        if (answered.has(key)) continue;
        answered.add(key);
        topics.push(result);
      }
    }

    return {
      throttleTimeMs: 0,
      brokers: [
        { nodeId: broker.nodeId, host: broker.advertisedHost, port: broker.advertisedPort, rack: null },
      ],
      clusterId: broker.clusterId,
      controllerId: broker.nodeId,
      topics,
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
        ? CLUSTER_AUTHORIZED_OPERATIONS
        : AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
});

async function lookUp(
  ctx: RequestContext,
  request: MetadataRequest,
  topicId: string,
  name: string | null,
  describe: (topic: Topic) => TopicResult,
): Promise<TopicResult | undefined> {
  const { broker, apiVersion } = ctx;
  if (topicId !== ZERO_UUID) {
    const topic = broker.topics.getById(topicId);
    if (topic) return describe(topic);
    // v10-11 cannot carry a null name in the response.
    return errorResult(apiVersion >= 12 ? null : '', topicId, ErrorCode.UNKNOWN_TOPIC_ID);
  }
  if (name === null) return undefined; // neither a name nor an id: nothing to answer (Kafka skips it)

  const existing = broker.topics.get(name);
  if (existing) return describe(existing);
  if (topicNameProblem(name) !== undefined) {
    return errorResult(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION);
  }
  const allowed = broker.config.autoCreateTopics && (apiVersion < 4 || request.allowAutoTopicCreation);
  if (!allowed) return errorResult(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  try {
    return describe(await broker.topics.create(name, broker.config.defaultPartitions, {}));
  } catch (err) {
    return errorResult(name, ZERO_UUID, failureCode(ctx, err, `auto-creating topic ${name}`));
  }
}

function describeTopic(ctx: RequestContext, topic: Topic, authorizedOperations: number): TopicResult {
  const self = ctx.broker.nodeId;
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.id,
    isInternal: false,
    partitions: topic.partitions.map((p) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: p.index,
      leaderId: self,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: [self],
      isrNodes: [self],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: authorizedOperations,
  };
}

function errorResult(name: string | null, topicId: string, errorCode: number): TopicResult {
  return {
    errorCode,
    name,
    topicId,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}
