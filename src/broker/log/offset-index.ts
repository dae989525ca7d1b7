// The sparse offset index of one segment: (relative offset int32, file position int32) pairs, big-endian,
// 8 bytes each (the layout of Kafka's .index files). An entry is added for the batch that starts after at
// least `indexIntervalBytes` were appended since the previous entry, and names that batch's base offset and
// its position, so a lookup lands exactly on a batch boundary and reads scan at most one interval of
// headers. Entries rise strictly in both columns. The index lives in memory while a segment is written and
// goes to disk whole when the segment is closed; recovery rebuilds it from the segment.

export const OFFSET_INDEX_ENTRY_BYTES = 8;

export interface OffsetIndexEntry {
  relativeOffset: number;
  position: number;
}

export class OffsetIndex {
  #rel: Int32Array;
  #pos: Int32Array;
  #n = 0;

  constructor(capacity = 64) {
    this.#rel = new Int32Array(capacity);
    this.#pos = new Int32Array(capacity);
  }

  get length(): number {
    return this.#n;
  }

  get byteLength(): number {
    return this.#n * OFFSET_INDEX_ENTRY_BYTES;
  }

  append(relativeOffset: number, position: number): void {
    if (this.#n > 0 && (relativeOffset <= this.#rel[this.#n - 1] || position <= this.#pos[this.#n - 1])) {
      throw new RangeError(`offset index entry (${relativeOffset}, ${position}) does not rise`);
    }
    if (this.#n === this.#rel.length) {
      const rel = new Int32Array(this.#n * 2);
      const pos = new Int32Array(this.#n * 2);
      rel.set(this.#rel);
      pos.set(this.#pos);
      this.#rel = rel;
      this.#pos = pos;
    }
    this.#rel[this.#n] = relativeOffset;
    this.#pos[this.#n] = position;
    this.#n += 1;
  }

  /** The last entry at or below `relativeOffset`; the segment start (0, 0) when there is none. */
  lookup(relativeOffset: number): OffsetIndexEntry {
    let lo = 0;
    let hi = this.#n - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#rel[mid] <= relativeOffset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0
      ? { relativeOffset: 0, position: 0 }
      : { relativeOffset: this.#rel[found], position: this.#pos[found] };
  }

  toBytes(): Buffer {
    const buf = Buffer.allocUnsafe(this.byteLength);
    for (let i = 0; i < this.#n; i++) {
      buf.writeInt32BE(this.#rel[i], i * 8);
      buf.writeInt32BE(this.#pos[i], i * 8 + 4);
    }
    return buf;
  }

  /** Parses an index file, or returns why it cannot belong to a segment of `segmentSize` bytes. */
  static fromBytes(buf: Uint8Array, segmentSize: number): OffsetIndex | string {
    if (buf.length % OFFSET_INDEX_ENTRY_BYTES !== 0) return `size ${buf.length} is not a multiple of 8`;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    const index = new OffsetIndex(Math.max(1, buf.length / OFFSET_INDEX_ENTRY_BYTES));
    let lastRel = -1;
    let lastPos = -1;
    for (let at = 0; at < buf.length; at += OFFSET_INDEX_ENTRY_BYTES) {
      const rel = view.getInt32(at);
      const pos = view.getInt32(at + 4);
      if (rel <= lastRel || pos <= lastPos || pos >= segmentSize)
        return `entry ${at / 8} (${rel}, ${pos}) is out of order`;
      index.append(rel, pos);
      lastRel = rel;
      lastPos = pos;
    }
    return index;
  }
}
