// Helpers of the metadata and admin handler tests: a broker with a raw client (both closed after the test),
// a data directory that outlives one broker (for restarts), and request bodies with every field filled.
import { rm } from 'node:fs/promises';
import type { TestContext } from 'node:test';
import type { StartBrokerOptions } from '../../../src/broker/broker.ts';
import { ZERO_UUID } from '../../../src/broker/topics/topic-manager.ts';
import {
  CreateTopicsApi,
  DescribeConfigsApi,
  MetadataApi,
  type CreateTopicsRequestCreatableTopic,
  type CreateTopicsResponseCreatableTopicResult,
  type DescribeConfigsRequestDescribeConfigsResource,
  type MetadataRequest,
  type MetadataResponse,
} from '../../../src/protocol/messages/index.ts';
import { startTestBroker, tempDir, type TestBroker } from '../../helpers/broker.ts';
import { RawClient } from '../../helpers/raw-client.ts';

export { ZERO_UUID };

export interface AdminSetup {
  broker: TestBroker;
  client: RawClient;
}

export async function adminSetup(t: TestContext, options: StartBrokerOptions = {}): Promise<AdminSetup> {
  const broker = await startTestBroker(t, options);
  const client = await connect(t, broker.port);
  return { broker, client };
}

export async function connect(t: TestContext, port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  t.after(() => client.close());
  return client;
}

/** A data directory removed when `t` ends: for tests that restart a broker on the same data. */
export async function keptDataDir(t: TestContext): Promise<string> {
  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Metadata for topics by name (null = all topics), auto-creation off unless asked. */
export function metadata(
  client: RawClient,
  version: number,
  names: readonly string[] | null,
  options: Partial<MetadataRequest> = {},
): Promise<MetadataResponse> {
  return client.request(MetadataApi, version, {
    topics: names === null ? null : names.map((name) => ({ topicId: ZERO_UUID, name })),
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
    ...options,
  });
}

export function creatable(
  name: string,
  options: Partial<CreateTopicsRequestCreatableTopic> = {},
): CreateTopicsRequestCreatableTopic {
  return { name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [], ...options };
}

export async function createTopics(
  client: RawClient,
  version: number,
  topics: CreateTopicsRequestCreatableTopic[],
  validateOnly = false,
): Promise<CreateTopicsResponseCreatableTopicResult[]> {
  const res = await client.request(CreateTopicsApi, version, { topics, timeoutMs: 5000, validateOnly });
  return res.topics;
}

export function describeConfigs(
  client: RawClient,
  version: number,
  resources: DescribeConfigsRequestDescribeConfigsResource[],
  options: { synonyms?: boolean; documentation?: boolean } = {},
) {
  return client.request(DescribeConfigsApi, version, {
    resources,
    includeSynonyms: options.synonyms ?? false,
    includeDocumentation: options.documentation ?? false,
  });
}

/** A topic resource of DescribeConfigs; keys null = all configs. */
export const topicResource = (name: string, keys: string[] | null = null) => ({
  resourceType: 2,
  resourceName: name,
  configurationKeys: keys,
});
