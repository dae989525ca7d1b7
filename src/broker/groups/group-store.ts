// What the coordinator uses of the durable offset store (offset-store.ts): committed offsets and each
// group's last persisted metadata. The coordinator depends on these methods only.
import type { OffsetStore } from './offset-store.ts';

export type { CommittedOffset, StoredGroup } from './offset-store.ts';

export type GroupStore = Pick<
  OffsetStore,
  | 'offset'
  | 'offsets'
  | 'groupsWithOffsets'
  | 'groupsWithMetadata'
  | 'group'
  | 'commit'
  | 'deleteOffsets'
  | 'putGroup'
>;
