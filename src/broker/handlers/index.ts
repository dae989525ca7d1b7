// Every request handler the broker registers. ApiVersions advertises exactly these.
import { apiVersionsHandler } from './18-api-versions.ts';
import type { AnyHandler } from './handler.ts';

export const allHandlers: readonly AnyHandler[] = [apiVersionsHandler];
