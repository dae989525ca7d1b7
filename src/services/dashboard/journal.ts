// The dashboard's live window: every entry of the last `windowMs`, in the order the records were consumed,
// with the last offset seen per stream and partition. Redelivered records (offset not above the last one
// seen: at-least-once after a rebalance or a reconnect) are dropped here, so the window holds each record
// once. A browser's cursor says what it has; since() returns exactly the entries after it.
import { copyCursor, type Cursor } from './cursor.ts';
import type { Entry } from './entries.ts';

export interface JournalOptions {
  windowMs: number;
  /** Entries kept at most, whatever their age. */
  maxEntries: number;
  now?: () => number;
}

export class Journal {
  readonly #o: JournalOptions;
  readonly #now: () => number;
  /** Entries in consumption order; the head is evicted first. */
  #entries: Entry[] = [];
  #head = 0;
  /** stream → partition → last offset appended. */
  readonly #seen: Cursor = new Map();
  /** stream → partition → highest offset evicted: a cursor below it asks for entries no longer here. */
  readonly #evicted: Cursor = new Map();
  /** stream → partition → first offset appended: this process holds nothing before it. */
  readonly #first: Cursor = new Map();
  #duplicates = 0;

  constructor(options: JournalOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Appends what is new; returns the entries actually appended (redeliveries left out). */
  append(entries: Entry[]): Entry[] {
    const added: Entry[] = [];
    for (const entry of entries) {
      const seen = partitionsOf(this.#seen, entry.stream);
      const last = seen.get(entry.partition);
      if (last !== undefined && entry.offset <= last) {
        this.#duplicates++;
        continue;
      }
      if (last === undefined) partitionsOf(this.#first, entry.stream).set(entry.partition, entry.offset);
      seen.set(entry.partition, entry.offset);
      this.#entries.push(entry);
      added.push(entry);
    }
    this.evict();
    return added;
  }

  /** Drops entries older than the window (and beyond maxEntries) from the head. */
  evict(): void {
    const cutoff = this.#now() - this.#o.windowMs;
    const excess = this.size - this.#o.maxEntries;
    let dropped = 0;
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head];
      if (entry.t >= cutoff && dropped >= excess) break;
      const evicted = partitionsOf(this.#evicted, entry.stream);
      evicted.set(entry.partition, Math.max(entry.offset, evicted.get(entry.partition) ?? -1));
      this.#head++;
      dropped++;
    }
    // Compact once the dead head is large, so eviction stays O(1) amortised.
    if (this.#head > 4096 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  get size(): number {
    return this.#entries.length - this.#head;
  }

  get duplicates(): number {
    return this.#duplicates;
  }

  /** The last offset appended per stream and partition (a copy). */
  cursor(): Cursor {
    return copyCursor(this.#seen);
  }

  /** Entries of the window whose time is at or after `from` (ms). */
  window(from: number): Entry[] {
    const out: Entry[] = [];
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i];
      if (entry.t >= from) out.push(entry);
    }
    return out;
  }

  /**
   * The entries after `cursor`, or undefined when some of them are not here: evicted (the browser was away
   * longer than the window), or, for a cursor another dashboard process issued (`foreign`), from before
   * what this one consumed since it started. The browser must reload the history then.
   */
  since(cursor: Cursor, foreign = false): Entry[] | undefined {
    const behind = (floors: Cursor, by: number): boolean => {
      for (const [stream, partitions] of floors) {
        for (const [partition, offset] of partitions) {
          if ((cursor.get(stream)?.get(partition) ?? -1) < offset - by) return true;
        }
      }
      return false;
    };
    if (behind(this.#evicted, 0) || (foreign && behind(this.#first, 1))) return undefined;
    const out: Entry[] = [];
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i];
      if (entry.offset > (cursor.get(entry.stream)?.get(entry.partition) ?? -1)) out.push(entry);
    }
    return out;
  }
}

function partitionsOf(cursor: Cursor, stream: string): Map<number, number> {
  let partitions = cursor.get(stream);
  if (partitions === undefined) {
    partitions = new Map();
    cursor.set(stream, partitions);
  }
  return partitions;
}
