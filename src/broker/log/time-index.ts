// The time index of one segment: (timestamp int64, relative offset int32) pairs, big-endian, 12 bytes each
// (Kafka's .timeindex layout). Entry (T, R) means: every batch of the segment before relative offset R has
// a max timestamp of at most T. Entries are added next to offset-index entries, only when T grows, so
// both columns rise and a lookup for timestamp ts may start scanning at R of the last entry with T < ts.
// When a segment is closed a final entry (segment max timestamp, segment end) is written; its presence is
// how a reopened log recognises a complete time index, and it gives the segment's max timestamp without a
// scan.

export const TIME_INDEX_ENTRY_BYTES = 12;

export interface TimeIndexEntry {
  timestamp: bigint;
  relativeOffset: number;
}

export class TimeIndex {
  #ts: BigInt64Array;
  #rel: Int32Array;
  #n = 0;

  constructor(capacity = 16) {
    this.#ts = new BigInt64Array(capacity);
    this.#rel = new Int32Array(capacity);
  }

  get length(): number {
    return this.#n;
  }

  get last(): TimeIndexEntry | undefined {
    const i = this.#n - 1;
    return i < 0 ? undefined : { timestamp: this.#ts[i], relativeOffset: this.#rel[i] };
  }

  /** Adds (timestamp, relativeOffset) if both rise past the last entry; returns whether it did. */
  maybeAppend(timestamp: bigint, relativeOffset: number): boolean {
    const last = this.last;
    if (last && (timestamp <= last.timestamp || relativeOffset <= last.relativeOffset)) return false;
    this.#push(timestamp, relativeOffset);
    return true;
  }

  /** The closing entry of a segment: always written (timestamp held monotonic) unless the end is indexed. */
  appendFinal(maxTimestamp: bigint, endRelativeOffset: number): void {
    const last = this.last;
    if (last && endRelativeOffset <= last.relativeOffset) return;
    this.#push(last && last.timestamp > maxTimestamp ? last.timestamp : maxTimestamp, endRelativeOffset);
  }

  /** Relative offset where a scan for the first batch with max timestamp >= `timestamp` may start. */
  lookup(timestamp: bigint): number {
    let lo = 0;
    let hi = this.#n - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ts[mid] < timestamp) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? 0 : this.#rel[found];
  }

  #push(timestamp: bigint, relativeOffset: number): void {
    if (this.#n === this.#ts.length) {
      const ts = new BigInt64Array(this.#n * 2);
      const rel = new Int32Array(this.#n * 2);
      ts.set(this.#ts);
      rel.set(this.#rel);
      this.#ts = ts;
      this.#rel = rel;
    }
    this.#ts[this.#n] = timestamp;
    this.#rel[this.#n] = relativeOffset;
    this.#n += 1;
  }

  toBytes(): Buffer {
    const buf = Buffer.allocUnsafe(this.#n * TIME_INDEX_ENTRY_BYTES);
    for (let i = 0; i < this.#n; i++) {
      buf.writeBigInt64BE(this.#ts[i], i * 12);
      buf.writeInt32BE(this.#rel[i], i * 12 + 8);
    }
    return buf;
  }

  /** Parses a time index file, or returns why it is not a complete index of a segment ending at `endRel`. */
  static fromBytes(buf: Uint8Array, endRelativeOffset: number): TimeIndex | string {
    if (buf.length % TIME_INDEX_ENTRY_BYTES !== 0) return `size ${buf.length} is not a multiple of 12`;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    const index = new TimeIndex(Math.max(1, buf.length / TIME_INDEX_ENTRY_BYTES));
    for (let at = 0; at < buf.length; at += TIME_INDEX_ENTRY_BYTES) {
      const ts = view.getBigInt64(at);
      const rel = view.getInt32(at + 8);
      const last = index.last;
      const isFinal = at + TIME_INDEX_ENTRY_BYTES === buf.length;
      const rises =
        !last || (rel > last.relativeOffset && (ts > last.timestamp || (isFinal && ts === last.timestamp)));
      if (!rises || rel > endRelativeOffset) return `entry ${at / 12} (${ts}, ${rel}) is out of order`;
      index.#push(ts, rel);
    }
    if (index.last?.relativeOffset !== endRelativeOffset) return 'closing entry missing';
    return index;
  }
}
