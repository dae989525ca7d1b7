// Every request handler the broker registers. ApiVersions advertises exactly these.
import { apiVersionsHandler } from './18-api-versions.ts';
import { produceHandler } from './00-produce.ts';
import { fetchHandler } from './01-fetch.ts';
import { listOffsetsHandler } from './02-list-offsets.ts';
import { deleteRecordsHandler } from './21-delete-records.ts';
import { offsetForLeaderEpochHandler } from './23-offset-for-leader-epoch.ts';
import type { AnyHandler } from './handler.ts';

export const allHandlers: readonly AnyHandler[] = [
  apiVersionsHandler,
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  deleteRecordsHandler,
  offsetForLeaderEpochHandler,
];
