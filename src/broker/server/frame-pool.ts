// Reusable buffers for request frames that span several socket reads (every large Produce request). Each
// such frame used to be a fresh Buffer.allocUnsafe of its size: under a steady produce load that is
// hundreds of MB/s of ArrayBuffers, and V8 answers external memory growth with full mark-compact
// collections of the whole heap; the broker spent a fifth of its time there. A frame taken from the pool
// goes back once its request is done with it (the connection knows when: see Connection#handle), and the
// next frame of a similar size reuses it.
//
// A frame reuses the smallest idle buffer that holds it and is at most twice its size (so a small frame does
// not pin a big buffer); new buffers are rounded up to GRAIN_BYTES. Frames below MIN_POOLED_BYTES (which
// mostly fit in one read and are never copied) or above maxPooledBytes are allocated as before. At most
// `maxIdleBytes` wait in the pool: the memory the broker keeps for it while idle.

export const MIN_POOLED_BYTES = 64 * 1024;
const GRAIN_BYTES = 64 * 1024;
const DEFAULT_MAX_POOLED_BYTES = 8 * 1024 * 1024;
const DEFAULT_MAX_IDLE_BYTES = 8 * 1024 * 1024;

export interface FramePoolOptions {
  /** Largest frame the pool serves; bigger frames get a buffer of their own. */
  maxPooledBytes?: number;
  /** Bytes of idle buffers kept for reuse; buffers returned beyond this are left to the garbage collector. */
  maxIdleBytes?: number;
}

export class FramePool {
  readonly #maxPooled: number;
  readonly #maxIdle: number;
  /** Idle buffers, whole (byteOffset 0, their full capacity). */
  readonly #idle: Buffer[] = [];
  /** The memory of buffers handed out and not yet returned: give() takes back only these, once each. */
  readonly #lent = new WeakSet<ArrayBufferLike>();
  #idleBytes = 0;

  constructor(options: FramePoolOptions = {}) {
    const maxPooled = options.maxPooledBytes ?? DEFAULT_MAX_POOLED_BYTES;
    if (!Number.isInteger(maxPooled) || maxPooled < MIN_POOLED_BYTES)
      throw new RangeError(`maxPooledBytes must be an integer >= ${MIN_POOLED_BYTES}, got ${maxPooled}`);
    const maxIdle = options.maxIdleBytes ?? DEFAULT_MAX_IDLE_BYTES;
    if (!Number.isInteger(maxIdle) || maxIdle < 0)
      throw new RangeError(`maxIdleBytes must be an integer >= 0, got ${maxIdle}`);
    this.#maxPooled = maxPooled;
    this.#maxIdle = maxIdle;
  }

  /** Bytes of idle buffers held for reuse. */
  get idleBytes(): number {
    return this.#idleBytes;
  }

  /** An n-byte buffer with unspecified contents: a pooled one when n is in the pooled range. */
  take(n: number): Buffer {
    if (n < MIN_POOLED_BYTES || n > this.#maxPooled) return Buffer.allocUnsafe(n);
    let best = -1;
    for (let i = 0; i < this.#idle.length; i++) {
      const capacity = this.#idle[i].length;
      if (capacity >= n && capacity <= 2 * n && (best < 0 || capacity < this.#idle[best].length)) best = i;
    }
    let whole: Buffer;
    if (best < 0) {
      whole = Buffer.allocUnsafeSlow(Math.ceil(n / GRAIN_BYTES) * GRAIN_BYTES);
    } else {
      whole = this.#idle[best];
      this.#idle[best] = this.#idle[this.#idle.length - 1];
      this.#idle.pop();
      this.#idleBytes -= whole.length;
    }
    this.#lent.add(whole.buffer);
    return whole.subarray(0, n);
  }

  /**
   * Takes back a buffer from take() once nothing refers to its memory any more (the caller's promise).
   * Anything else (a buffer the pool did not lend, or one already given back) is ignored.
   */
  give(frame: Buffer): void {
    const memory = frame.buffer;
    if (!this.#lent.has(memory)) return;
    this.#lent.delete(memory);
    const capacity = memory.byteLength;
    if (this.#idleBytes + capacity > this.#maxIdle) return;
    this.#idle.push(Buffer.from(memory, 0, capacity));
    this.#idleBytes += capacity;
  }
}
