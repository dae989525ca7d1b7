// ApiVersions (key 18), versions 0-3. The list comes from the handler registrations, so it names exactly
// what this broker implements. A client asking with a version above 3 gets a v0-format answer with
// UNSUPPORTED_VERSION and the full list (built by the connection), and retries with one we support.
import { ApiVersionsApi, type ApiVersionsResponse } from '../../protocol/messages/index.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import { defineHandler, type HandlerRegistry } from './handler.ts';

function listFor(registry: HandlerRegistry): ApiVersionsResponse['apiKeys'] {
  return registry.supportedVersions().map((v) => ({ ...v }));
}

export function unsupportedApiVersionsResponse(registry: HandlerRegistry): ApiVersionsResponse {
  return { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: listFor(registry), throttleTimeMs: 0 };
}

export const apiVersionsHandler = defineHandler({
  api: ApiVersionsApi,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx): ApiVersionsResponse {
    // client_software_name/version are not validated: a mismatch would only make clients fall back.
    return { errorCode: ErrorCode.NONE, apiKeys: listFor(ctx.broker.registry), throttleTimeMs: 0 };
  },
});
