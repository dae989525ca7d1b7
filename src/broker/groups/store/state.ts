// The offset store's contents in memory: group → topic → partition → committed offset, and each group's last
// persisted metadata. Entries are applied in file order, on replay and as each change is acknowledged.
// It also estimates how many bytes a compacted file would take, to decide when compaction pays off.
import { FRAME_OVERHEAD } from './entries.ts';
import type { CommittedOffset, StoreEntry, StoredGroup } from './types.ts';

type PartitionOffsets = Map<number, CommittedOffset>;
type GroupOffsets = Map<string, PartitionOffsets>;

// A compacted file splits a group's offsets into entries of at most this many offsets or about this many
// bytes (metadata strings can be long), far below MAX_ENTRY_BYTES.
const SNAPSHOT_OFFSETS_PER_ENTRY = 2048;
const SNAPSHOT_ENTRY_BYTES = 1024 * 1024;
// Estimated bytes of one offset in a compacted file: partition, offset, epoch, timestamp, metadata and
// (amortised) topic name and counts.
const OFFSET_FIXED_BYTES = 30;
const GROUP_ENTRY_FIXED_BYTES = FRAME_OVERHEAD + 8;

export class OffsetState {
  readonly offsets = new Map<string, GroupOffsets>();
  readonly groups = new Map<string, StoredGroup>();
  /** Encoded size of each group's metadata entry, for the live-bytes estimate. */
  readonly #groupBytes = new Map<string, number>();
  #liveBytes = 0;

  /** Roughly the bytes a compacted file of this state takes. */
  get liveBytes(): number {
    return this.#liveBytes;
  }

  /** Applies one entry; `entryBytes` is its framed size. */
  apply(entry: StoreEntry, entryBytes: number): void {
    switch (entry.type) {
      case 'offsets': {
        let group = this.offsets.get(entry.group);
        if (!group) {
          this.offsets.set(entry.group, (group = new Map<string, PartitionOffsets>()));
          this.#liveBytes += GROUP_ENTRY_FIXED_BYTES + entry.group.length;
        }
        for (const { topic, partition, value } of entry.offsets) {
          let partitions = group.get(topic);
          if (!partitions) group.set(topic, (partitions = new Map<number, CommittedOffset>()));
          const old = partitions.get(partition);
          if (old) this.#liveBytes -= offsetBytes(topic, old);
          partitions.set(partition, value);
          this.#liveBytes += offsetBytes(topic, value);
        }
        break;
      }
      case 'deleteOffsets': {
        const group = this.offsets.get(entry.group);
        if (!group) break;
        if (entry.partitions === undefined) {
          for (const [topic, partitions] of group) this.#dropTopic(entry.group, group, topic, partitions);
          break;
        }
        for (const { topic, partition } of entry.partitions) {
          const partitions = group.get(topic);
          const old = partitions?.get(partition);
          if (!partitions || !old) continue;
          partitions.delete(partition);
          this.#liveBytes -= offsetBytes(topic, old);
          if (partitions.size === 0) this.#dropTopic(entry.group, group, topic, partitions);
        }
        break;
      }
      case 'deleteTopic':
        for (const [groupId, group] of this.offsets) {
          const partitions = group.get(entry.topic);
          if (partitions) this.#dropTopic(groupId, group, entry.topic, partitions);
        }
        break;
      case 'group':
        this.#liveBytes -= this.#groupBytes.get(entry.groupId) ?? 0;
        if (entry.group === null) {
          this.groups.delete(entry.groupId);
          this.#groupBytes.delete(entry.groupId);
        } else {
          this.groups.set(entry.groupId, entry.group);
          this.#groupBytes.set(entry.groupId, entryBytes);
          this.#liveBytes += entryBytes;
        }
        break;
    }
  }

  #dropTopic(groupId: string, group: GroupOffsets, topic: string, partitions: PartitionOffsets): void {
    for (const value of partitions.values()) this.#liveBytes -= offsetBytes(topic, value);
    group.delete(topic);
    if (group.size === 0) {
      this.offsets.delete(groupId);
      this.#liveBytes -= GROUP_ENTRY_FIXED_BYTES + groupId.length;
    }
  }

  /**
   * A copy to compact from while this state keeps changing. Values are frozen and shared; only the maps are
   * copied, which is cheap next to encoding them.
   */
  clone(): OffsetState {
    const copy = new OffsetState();
    for (const [groupId, group] of this.offsets) {
      copy.offsets.set(
        groupId,
        new Map([...group].map(([topic, partitions]) => [topic, new Map(partitions)])),
      );
    }
    for (const [groupId, group] of this.groups) copy.groups.set(groupId, group);
    for (const [groupId, bytes] of this.#groupBytes) copy.#groupBytes.set(groupId, bytes);
    copy.#liveBytes = this.#liveBytes;
    return copy;
  }

  /** The entries that rebuild this state from nothing: what a compacted file holds after its header. */
  *entries(): Generator<StoreEntry> {
    for (const [groupId, group] of this.groups) yield { type: 'group', groupId, group };
    for (const [groupId, group] of this.offsets) {
      let batch: { topic: string; partition: number; value: CommittedOffset }[] = [];
      let bytes = 0;
      for (const [topic, partitions] of group) {
        for (const [partition, value] of partitions) {
          batch.push({ topic, partition, value });
          bytes += OFFSET_FIXED_BYTES + topic.length + (value.metadata?.length ?? 0);
          if (batch.length === SNAPSHOT_OFFSETS_PER_ENTRY || bytes >= SNAPSHOT_ENTRY_BYTES) {
            yield { type: 'offsets', group: groupId, offsets: batch };
            batch = [];
            bytes = 0;
          }
        }
      }
      if (batch.length > 0) yield { type: 'offsets', group: groupId, offsets: batch };
    }
  }
}

function offsetBytes(topic: string, value: CommittedOffset): number {
  return OFFSET_FIXED_BYTES + (topic.length >> 3) + (value.metadata?.length ?? 0);
}
