// Which partition a record goes to, as Kafka's default partitioner decides it: murmur2 of the key for a
// keyed record (the same partition a Java or librdkafka producer would pick, so per-key order holds across
// producers), and for keyless records KIP-480's sticky partitioner: one partition until its batch is sealed,
// then another at random, so keyless traffic spreads over partitions while each batch stays whole.
import { keyPartition } from './murmur2.ts';
import { isPrepared, type AnyRecord } from './record-encoding.ts';

/** Keys whose partition is remembered (a prepared record's key is a string: hashed once, not per record). */
const KEY_CACHE = 10_000;

export class Partitioner {
  readonly #keyPartitions = new Map<string, number>();
  /** The partition count the cached keys were hashed for. */
  #keyPartitionsOf = 0;
  /** Where keyless records go until that partition's batch is sealed. */
  #sticky = -1;
  /** The sticky partition's batch was sealed: the next keyless record picks another partition. */
  #stickySealed = false;

  /**
   * The record's partition among `count`; `available` lists the partitions with a leader (undefined when
   * unknown), from which a new sticky partition is picked.
   */
  partitionOf(record: AnyRecord, count: number, available: () => number[] | undefined): number {
    if (count === 1) return 0;
    if (isPrepared(record)) {
      if (this.#keyPartitionsOf !== count || this.#keyPartitions.size >= KEY_CACHE) {
        this.#keyPartitions.clear();
        this.#keyPartitionsOf = count;
      }
      let p = this.#keyPartitions.get(record.key);
      if (p === undefined) {
        p = keyPartition(Buffer.from(record.key, 'utf8'), count);
        this.#keyPartitions.set(record.key, p);
      }
      return p;
    }
    if (record.key !== null) return keyPartition(record.key, count);
    if (this.#stickySealed || this.#sticky < 0 || this.#sticky >= count) {
      this.#sticky = this.#nextSticky(count, available());
      this.#stickySealed = false;
    }
    return this.#sticky;
  }

  /** A batch of `partition` was sealed: keyless records move on if it was the sticky one. */
  sealed(partition: number): void {
    if (partition === this.#sticky) this.#stickySealed = true;
  }

  /** A partition other than the current sticky one, at random among those with a leader (all if unknown). */
  #nextSticky(count: number, available: number[] | undefined): number {
    const usable = available?.filter((p) => p < count);
    const candidates = usable !== undefined && usable.length > 0 ? usable : undefined;
    const size = candidates?.length ?? count;
    const pick = (): number => {
      const i = Math.floor(Math.random() * size);
      return candidates ? candidates[i] : i;
    };
    let next = pick();
    if (size > 1) while (next === this.#sticky) next = pick();
    return next;
  }
}
