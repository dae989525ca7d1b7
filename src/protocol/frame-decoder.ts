// Splits a TCP byte stream into Kafka frames (int32 big-endian size, then that many bytes).
// Chunks may hold several frames or part of one; the size prefix is checked against a limit before
// anything is allocated for the frame, so a hostile length cannot make the reader reserve memory.

export class FrameTooLargeError extends Error {
  readonly size: number;
  readonly limit: number;
  constructor(size: number, limit: number) {
    super(
      size < 0
        ? `frame size prefix ${size} is negative`
        : `frame size prefix ${size} exceeds the limit of ${limit} bytes`,
    );
    this.name = 'FrameTooLargeError';
    this.size = size;
    this.limit = limit;
  }
}

/** Where a frame that spans several chunks is assembled: an n-byte buffer, contents unspecified. */
export type FrameAllocator = (n: number) => Buffer;

const allocUnsafe: FrameAllocator = (n) => Buffer.allocUnsafe(n);

export class FrameDecoder {
  readonly #maxFrameBytes: number;
  readonly #allocate: FrameAllocator;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Size of the frame being assembled, or -1 while its prefix is not complete. */
  #expected = -1;

  /**
   * `allocate` gives the buffer a frame spanning several chunks is copied into (the broker's frame pool);
   * a frame within one chunk is a view of that chunk.
   */
  constructor(maxFrameBytes: number, allocate: FrameAllocator = allocUnsafe) {
    this.#maxFrameBytes = maxFrameBytes;
    this.#allocate = allocate;
  }

  /** Bytes received but not yet returned as part of a frame. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /**
   * Adds a chunk and returns every frame it completes (without their size prefix), in order.
   * Throws FrameTooLargeError when a prefix is negative or above the limit; the stream is then unusable.
   */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    const frames: Buffer[] = [];
    for (;;) {
      if (this.#expected < 0) {
        if (this.#buffered < 4) break;
        const size = this.#take(4, allocUnsafe).readInt32BE(0);
        if (size < 0 || size > this.#maxFrameBytes) throw new FrameTooLargeError(size, this.#maxFrameBytes);
        this.#expected = size;
      }
      if (this.#buffered < this.#expected) break;
      frames.push(this.#take(this.#expected));
      this.#expected = -1;
    }
    return frames;
  }

  /** Removes and returns the next n buffered bytes; zero-copy when they sit in one chunk. */
  #take(n: number, allocate = this.#allocate): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (first.length === n) {
      this.#chunks.shift();
      return first;
    }
    if (first.length > n) {
      this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = allocate(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0];
      const want = n - filled;
      if (chunk.length <= want) {
        chunk.copy(out, filled);
        filled += chunk.length;
        this.#chunks.shift();
      } else {
        chunk.copy(out, filled, 0, want);
        this.#chunks[0] = chunk.subarray(want);
        filled += want;
      }
    }
    return out;
  }
}
