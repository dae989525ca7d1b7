// IncrementalAlterConfigs (key 44), versions 0-1: SET (0) and DELETE (1) change single overrides and keep
// the rest. APPEND (2) and SUBTRACT (3) only apply to list-valued configs, and every topic config this
// broker has is a single value (cleanup.policy can only be "delete"), so they are refused with
// INVALID_REQUEST. Every change is validated; one bad one fails the whole resource and nothing changes.
import {
  IncrementalAlterConfigsApi,
  type IncrementalAlterConfigsRequestAlterableConfig,
  type IncrementalAlterConfigsResponse,
  type IncrementalAlterConfigsResponseAlterConfigsResourceResponse,
} from '../../protocol/messages/index.ts';
import { topicConfigProblem, type TopicConfigName, type TopicOverrides } from '../topics/topic-config.ts';
import { alterResource } from './alter-configs-common.ts';
import type { OverridesCheck } from './config-entries.ts';
import { defineHandler } from './handler.ts';

const SET = 0;
const DELETE = 1;
const OPERATION_NAMES = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'];

export const incrementalAlterConfigsHandler = defineHandler({
  api: IncrementalAlterConfigsApi,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request): Promise<IncrementalAlterConfigsResponse> {
    const responses: IncrementalAlterConfigsResponseAlterConfigsResourceResponse[] = [];
    for (const resource of request.resources) {
      responses.push(
        await alterResource(
          ctx,
          { ...resource, configNames: resource.configs.map((c) => c.name) },
          request.validateOnly,
          (current) => applyChanges(current, resource.configs),
        ),
      );
    }
    return { throttleTimeMs: 0, responses };
  },
});

function applyChanges(
  current: TopicOverrides,
  changes: readonly IncrementalAlterConfigsRequestAlterableConfig[],
): OverridesCheck {
  const next: TopicOverrides = { ...current };
  for (const { name, configOperation, value } of changes) {
    if (configOperation !== SET && configOperation !== DELETE) {
      const op = OPERATION_NAMES[configOperation] ?? `operation ${configOperation}`;
      return {
        ok: false,
        errorCode: 'INVALID_REQUEST',
        message: `${op} is not possible for ${name}: it applies to list-valued configs and this broker's topic configs are single values`,
      };
    }
    if (configOperation === SET && value === null) {
      return {
        ok: false,
        errorCode: 'INVALID_REQUEST',
        message: `SET of ${name} needs a value (use DELETE to reset it)`,
      };
    }
    const problem = topicConfigProblem(name, configOperation === SET ? value : null);
    if (problem !== undefined) return { ok: false, errorCode: 'INVALID_CONFIG', message: problem };
    if (configOperation === SET) next[name as TopicConfigName] = value!;
    else delete next[name as TopicConfigName];
  }
  return { ok: true, overrides: next };
}
