// The spare batch buffers of a publisher: full-size buffers (maxBatchBytes, "slabs") that a batch is done
// with (acknowledged by the bus, evicted, or copied out at seal), kept to be filled again instead of left
// to the garbage collector. Buffers outside the JS heap are freed only when V8 collects the objects that
// hold them, and under load it lets tens of MiB of them pile up first; reusing the same few slabs keeps
// the process's memory near what the publisher counts. Spares are counted as held (the publisher adds
// spareBytes to its buffered bytes) and are given up when a record needs the room.

export class BatchPool {
  /** The size of every slab: maxBatchBytes. */
  readonly slabBytes: number;
  readonly #maxSpares: number;
  #spares: Buffer[] = [];

  constructor(slabBytes: number, maxSpares: number) {
    if (!Number.isInteger(slabBytes) || slabBytes <= 0) {
      throw new RangeError(`BatchPool: slabBytes must be a positive integer, got ${slabBytes}`);
    }
    if (!Number.isInteger(maxSpares) || maxSpares < 0) {
      throw new RangeError(`BatchPool: maxSpares must be a non-negative integer, got ${maxSpares}`);
    }
    this.slabBytes = slabBytes;
    this.#maxSpares = maxSpares;
  }

  get spares(): number {
    return this.#spares.length;
  }
  /** Bytes the spares hold (counted by the publisher as buffered). */
  get spareBytes(): number {
    return this.#spares.length * this.slabBytes;
  }

  /** A new slab's allocation (not counted anywhere until the caller counts it). */
  allocate(): Buffer {
    return Buffer.allocUnsafeSlow(this.slabBytes);
  }

  /** A spare slab, or undefined when there is none. Its bytes stop counting as spare. */
  take(): Buffer | undefined {
    return this.#spares.pop();
  }

  /**
   * Whether `bytes` is a slab the pool can keep: a whole allocation of exactly slabBytes (not a view into
   * a larger or shared one, which would hold more than it counts).
   */
  fits(bytes: Uint8Array): boolean {
    const b = bytes.buffer;
    return b instanceof ArrayBuffer && b.byteLength === this.slabBytes && bytes.byteOffset === 0;
  }

  /**
   * Keeps the slab behind `bytes` as a spare if it is one and the pool is not full; the caller checked
   * that the buffer has room for it. Returns whether it was kept (its bytes now count as spare).
   */
  give(bytes: Uint8Array): boolean {
    if (this.#spares.length >= this.#maxSpares || !this.fits(bytes)) return false;
    this.#spares.push(Buffer.from(bytes.buffer, 0, this.slabBytes));
    return true;
  }

  /** Gives every spare up (to the garbage collector): a record needs the room. */
  clear(): void {
    this.#spares = [];
  }
}
