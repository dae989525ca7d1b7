// What each partition knows of transactions, for read_committed readers: the producers with a transaction
// open on it (from the offset of their first batch there) and the index of aborted transactions, each as
// (producer id, first offset, marker offset). The last stable offset is the first offset of the oldest
// open transaction, or the high watermark when none is open. The event loop owns it all: a marker's
// append updates it synchronously, when the append assigns the marker its offset.
import { partitionKey, type PartitionKey } from '../producers/producer-state-manager.ts';

export interface AbortedRange {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
  /** The offset of the ABORT marker that closed it. */
  readonly lastOffset: bigint;
}

interface PartitionState {
  /** producer id → offset of its open transaction's first batch here. */
  readonly open: Map<bigint, bigint>;
  /** Sorted by lastOffset (markers are appended in offset order). */
  aborted: AbortedRange[];
}

export class PartitionTransactions {
  readonly #byPartition = new Map<PartitionKey, PartitionState>();

  #state(key: PartitionKey): PartitionState {
    let state = this.#byPartition.get(key);
    if (!state) {
      state = { open: new Map(), aborted: [] };
      this.#byPartition.set(key, state);
    }
    return state;
  }

  /** A transactional batch of `producerId` goes to `offset`: the transaction's first one here opens it. */
  noteTransactionalAppend(topicId: string, partition: number, producerId: bigint, offset: bigint): void {
    const { open } = this.#state(partitionKey(topicId, partition));
    if (!open.has(producerId)) open.set(producerId, offset);
  }

  /** The first offset of `producerId`'s open transaction on the partition, if it wrote there. */
  firstOffset(topicId: string, partition: number, producerId: bigint): bigint | undefined {
    return this.#byPartition.get(partitionKey(topicId, partition))?.open.get(producerId);
  }

  /**
   * The transaction's marker was appended at `markerOffset`. An abort of a transaction that wrote here
   * (from `firstOffset`) enters the aborted index.
   */
  close(
    topicId: string,
    partition: number,
    producerId: bigint,
    outcome: 'commit' | 'abort',
    markerOffset: bigint,
    firstOffset: bigint | undefined,
  ): void {
    const state = this.#state(partitionKey(topicId, partition));
    state.open.delete(producerId);
    if (outcome === 'abort' && firstOffset !== undefined)
      state.aborted.push({ producerId, firstOffset, lastOffset: markerOffset });
  }

  /** Puts back an aborted range read from the coordinator's file. */
  restoreAborted(topicId: string, partition: number, range: AbortedRange): void {
    const state = this.#state(partitionKey(topicId, partition));
    state.aborted.push(range);
    state.aborted.sort((a, b) => (a.lastOffset < b.lastOffset ? -1 : a.lastOffset > b.lastOffset ? 1 : 0));
  }

  /** The oldest open transaction's first offset on the partition, undefined when none is open. */
  firstOpenOffset(topicId: string, partition: number): bigint | undefined {
    const state = this.#byPartition.get(partitionKey(topicId, partition));
    let first: bigint | undefined;
    for (const offset of state?.open.values() ?? [])
      if (first === undefined || offset < first) first = offset;
    return first;
  }

  /** Aborted transactions overlapping [from, to): those that start before `to` and end at or after `from`. */
  abortedBetween(topicId: string, partition: number, from: bigint, to: bigint): AbortedRange[] {
    const state = this.#byPartition.get(partitionKey(topicId, partition));
    if (!state) return [];
    return state.aborted.filter((a) => a.firstOffset < to && a.lastOffset >= from);
  }

  /**
   * Drops aborted ranges whose marker lies below the partition's log start offset (retention and
   * DeleteRecords removed their data), and everything of partitions `logStartOffset` does not know (their
   * topic is gone). Returns every range kept, for the coordinator's file.
   */
  prune(
    logStartOffset: (topicId: string, partition: number) => bigint | undefined,
  ): { topicId: string; partition: number; range: AbortedRange }[] {
    const kept: { topicId: string; partition: number; range: AbortedRange }[] = [];
    for (const [key, state] of this.#byPartition) {
      const at = key.lastIndexOf(':');
      const topicId = key.slice(0, at);
      const partition = Number(key.slice(at + 1));
      const start = logStartOffset(topicId, partition);
      if (start === undefined) {
        this.#byPartition.delete(key);
        continue;
      }
      state.aborted = state.aborted.filter((a) => a.lastOffset >= start);
      for (const range of state.aborted) kept.push({ topicId, partition, range });
      if (state.aborted.length === 0 && state.open.size === 0) this.#byPartition.delete(key);
    }
    return kept;
  }
}
