// DescribeConfigs (key 32), versions 0-4. Topic resources (type 2) list every config this broker supports
// for topics: the override when the topic has one (DYNAMIC_TOPIC_CONFIG), else the broker default
// (DEFAULT_CONFIG), with the broker-level synonym behind it. Broker resources (type 4, named by this
// broker's node id, or "" for the cluster default) list the broker's settings under their Kafka names,
// all read-only. configurationKeys filters (null = all; unknown keys are left out, as Kafka does).
import { ErrorCode } from '../../protocol/error-codes.ts';
import {
  DescribeConfigsApi,
  type DescribeConfigsRequestDescribeConfigsResource,
  type DescribeConfigsResponse,
  type DescribeConfigsResponseDescribeConfigsResult,
} from '../../protocol/messages/index.ts';
import { topicNameProblem } from '../topics/topic-name.ts';
import {
  ConfigSource,
  ResourceType,
  brokerConfigEntries,
  brokerNameProblem,
  topicConfigEntries,
  type ConfigEntry,
} from './config-entries.ts';
import { defineHandler, type RequestContext } from './handler.ts';

type Result = DescribeConfigsResponseDescribeConfigsResult;

export const describeConfigsHandler = defineHandler({
  api: DescribeConfigsApi,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, request): DescribeConfigsResponse {
    return {
      throttleTimeMs: 0,
      results: request.resources.map((resource) => {
        const found = entriesFor(ctx, resource);
        if ('errorCode' in found) return failed(resource, found.errorCode, found.message);
        const wanted = resource.configurationKeys === null ? null : new Set(resource.configurationKeys);
        const entries = wanted === null ? found : found.filter((e) => wanted.has(e.name));
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          resourceType: resource.resourceType,
          resourceName: resource.resourceName,
          configs: entries.map((e) => ({
            name: e.name,
            value: e.value,
            readOnly: e.readOnly,
            isDefault: e.source === ConfigSource.DEFAULT_CONFIG,
            configSource: e.source,
            isSensitive: false,
            synonyms: request.includeSynonyms ? e.synonyms.map((s) => ({ ...s })) : [],
            configType: e.type,
            documentation: request.includeDocumentation ? e.documentation : null,
          })),
        };
      }),
    };
  },
});

/** The config entries of one resource, or why it cannot be described. */
function entriesFor(
  ctx: RequestContext,
  resource: { resourceType: number; resourceName: string },
): ConfigEntry[] | { errorCode: number; message: string } {
  const { broker } = ctx;
  switch (resource.resourceType) {
    case ResourceType.TOPIC: {
      const nameProblem = topicNameProblem(resource.resourceName);
      if (nameProblem !== undefined)
        return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, message: nameProblem };
      const topic = broker.topics.get(resource.resourceName);
      if (!topic) {
        return {
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          message: `topic "${resource.resourceName}" does not exist`,
        };
      }
      return topicConfigEntries(broker.config, topic.overrides);
    }
    case ResourceType.BROKER: {
      const problem = brokerNameProblem(broker.nodeId, resource.resourceName);
      if (problem !== undefined) return { errorCode: ErrorCode.INVALID_REQUEST, message: problem };
      return brokerConfigEntries(broker.config);
    }
    default:
      return {
        errorCode: ErrorCode.INVALID_REQUEST,
        message: `resource type ${resource.resourceType} is not supported; this broker has topic (2) and broker (4) configs`,
      };
  }
}

function failed(
  resource: DescribeConfigsRequestDescribeConfigsResource,
  errorCode: number,
  message: string,
): Result {
  return {
    errorCode,
    errorMessage: message,
    resourceType: resource.resourceType,
    resourceName: resource.resourceName,
    configs: [],
  };
}
