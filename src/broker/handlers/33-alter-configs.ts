// AlterConfigs (key 33), versions 0-2: the legacy "replace everything" form. The configs given become the
// topic's complete set of overrides (a config left out, or given with a null value, goes back to the
// broker's default), after each one is validated; one bad value fails the whole resource with
// INVALID_CONFIG and a message naming the setting, and nothing of that resource changes.
import {
  AlterConfigsApi,
  type AlterConfigsResponse,
  type AlterConfigsResponseAlterConfigsResourceResponse,
} from '../../protocol/messages/index.ts';
import { alterResource } from './alter-configs-common.ts';
import { checkOverrides } from './config-entries.ts';
import { defineHandler } from './handler.ts';

export const alterConfigsHandler = defineHandler({
  api: AlterConfigsApi,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request): Promise<AlterConfigsResponse> {
    const responses: AlterConfigsResponseAlterConfigsResourceResponse[] = [];
    for (const resource of request.resources) {
      responses.push(
        await alterResource(
          ctx,
          { ...resource, configNames: resource.configs.map((c) => c.name) },
          request.validateOnly,
          () => checkOverrides(resource.configs),
        ),
      );
    }
    return { throttleTimeMs: 0, responses };
  },
});
