// Shared helpers of the offset store tests: opening a store in a temporary directory, building values, and
// a plain dump of everything a store holds, so that "the same state after reopening" is one deepEqual.
import { join } from 'node:path';
import {
  OFFSET_STORE_DIR,
  OFFSET_STORE_FILE,
  OffsetStore,
  type CommittedOffset,
  type OffsetStoreOptions,
  type StoredGroup,
} from '../../../src/broker/groups/offset-store.ts';
import type { LogFs } from '../../../src/broker/log/fs.ts';
import { NodeLogFs } from '../../../src/broker/log/fs.ts';
import { captureLogger } from '../log/helpers.ts';

export { captureLogger, tempDir, waitUntil } from '../log/helpers.ts';

export function storeFile(dataDir: string): string {
  return join(dataDir, OFFSET_STORE_DIR, OFFSET_STORE_FILE);
}

export function openStore(
  dataDir: string,
  fs: LogFs = new NodeLogFs(),
  options: Partial<OffsetStoreOptions> = {},
): Promise<OffsetStore> {
  return OffsetStore.open(fs, dataDir, {
    durability: { mode: 'fsync' },
    logger: captureLogger().logger,
    ...options,
  });
}

export function off(
  offset: number | bigint,
  metadata: string | null = null,
  leaderEpoch = 0,
): CommittedOffset {
  return {
    offset: BigInt(offset),
    leaderEpoch,
    metadata,
    commitTimestampMs: 1_700_000_000_000n + BigInt(offset),
  };
}

export function commitOne(
  store: OffsetStore,
  group: string,
  topic: string,
  partition: number,
  value: CommittedOffset,
): Promise<void> {
  return store.commit(group, [{ topic, partition, value }]);
}

export function sampleGroup(generationId: number, members = 2): StoredGroup {
  return {
    protocolType: 'consumer',
    protocolName: 'range',
    generationId,
    leaderId: 'member-0',
    members: Array.from({ length: members }, (_, i) => ({
      memberId: `member-${i}`,
      groupInstanceId: i === 0 ? 'static-0' : null,
      clientId: `client-${i}`,
      clientHost: `/127.0.0.${i + 1}`,
      sessionTimeoutMs: 10_000 + i,
      rebalanceTimeoutMs: 30_000 + i,
      subscription: Buffer.from(`subscription-${i}-gen-${generationId}`),
      assignment: Buffer.from(`assignment-${i}-gen-${generationId}`),
    })),
  };
}

export interface Dump {
  offsets: Record<string, Record<string, Record<number, CommittedOffset>>>;
  groups: Record<string, StoredGroup>;
}

/** Everything the store holds, as plain objects (key order does not matter to deepEqual). */
export function dump(store: OffsetStore): Dump {
  const out: Dump = { offsets: {}, groups: {} };
  for (const group of store.groupsWithOffsets()) {
    const topics: Record<string, Record<number, CommittedOffset>> = {};
    for (const [topic, partitions] of store.offsets(group)) {
      topics[topic] = Object.fromEntries([...partitions].map(([p, v]) => [p, { ...v }]));
    }
    out.offsets[group] = topics;
  }
  for (const id of store.groupsWithMetadata()) {
    const g = store.group(id)!;
    out.groups[id] = { ...g, members: g.members.map((m) => ({ ...m })) };
  }
  return out;
}
