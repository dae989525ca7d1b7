// The memory buffer: sealed batches in an array, each in a buffer of its own; it counts the whole
// allocation behind each (held), so the bytes it counts are the bytes it holds. Eviction (drop_oldest) is per batch: exactly the oldest records are lost,
// and counted.
import type { SealedBatch } from '../kafka-client.ts';
import type { BatchStore } from './store.ts';

/** The allocation behind a batch's bytes (a sealed batch has one of its own; see OpenBatch.seal). */
const held = (b: SealedBatch): number => Math.max(b.bytes.length, b.bytes.buffer.byteLength);

export class MemoryStore implements BatchStore {
  /** Told of each batch evictOldest() removed (its buffer may serve again). */
  readonly #onEvicted: (batch: SealedBatch) => void;
  #entries: SealedBatch[] = [];
  #head = 0;
  #bytes = 0;
  #records = 0;

  constructor(onEvicted: (batch: SealedBatch) => void = () => undefined) {
    this.#onEvicted = onEvicted;
  }

  get bytes(): number {
    return this.#bytes;
  }
  get records(): number {
    return this.#records;
  }
  get batches(): number {
    return this.#entries.length - this.#head;
  }

  append(batch: SealedBatch): void {
    this.#entries.push(batch);
    this.#bytes += held(batch);
    this.#records += batch.records;
  }

  at(index: number): Promise<SealedBatch | undefined> {
    return Promise.resolve(this.#entries[this.#head + index]);
  }

  ackHead(): Promise<void> {
    const e = this.#entries[this.#head];
    if (e) {
      this.#forget(e);
      // Shift lazily: an array of thousands of batches is not moved on every acknowledgement.
      this.#head++;
      if (this.#head > 1024 || this.#head === this.#entries.length) {
        this.#entries = this.#entries.slice(this.#head);
        this.#head = 0;
      }
    }
    return Promise.resolve();
  }

  evictOldest(inFlight: number): number {
    const i = this.#head + inFlight;
    const e = this.#entries[i];
    if (!e) return 0;
    this.#entries.splice(i, 1);
    this.#forget(e);
    this.#onEvicted(e);
    return e.records;
  }

  stored(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #forget(e: SealedBatch): void {
    this.#bytes -= held(e);
    this.#records -= e.records;
  }
}
