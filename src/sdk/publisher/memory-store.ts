// The memory buffer: sealed batches in an array. Eviction (drop_oldest) is per record, so exactly the
// oldest records are lost and the newest survive.
import type { BatchStore, BufferedRecord } from './store.ts';
import { recordBytes } from './store.ts';

interface Entry {
  records: BufferedRecord[];
  bytes: number;
}

export class MemoryStore implements BatchStore {
  #entries: Entry[] = [];
  #bytes = 0;
  #records = 0;

  get bytes(): number {
    return this.#bytes;
  }
  get records(): number {
    return this.#records;
  }
  get batches(): number {
    return this.#entries.length;
  }

  append(records: BufferedRecord[], bytes: number): number {
    this.#entries.push({ records, bytes });
    this.#bytes += bytes;
    this.#records += records.length;
    return bytes;
  }

  head(): Promise<BufferedRecord[] | undefined> {
    return Promise.resolve(this.#entries[0]?.records);
  }

  ackHead(): Promise<void> {
    const e = this.#entries.shift();
    if (e) {
      this.#bytes -= e.bytes;
      this.#records -= e.records.length;
    }
    return Promise.resolve();
  }

  evictOldest(headInFlight: boolean): number {
    const i = headInFlight ? 1 : 0;
    const e = this.#entries[i];
    if (!e) return 0;
    const r = e.records.shift()!;
    const size = recordBytes(r);
    e.bytes -= size;
    this.#bytes -= size;
    this.#records--;
    if (e.records.length === 0) this.#entries.splice(i, 1);
    return 1;
  }

  stored(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
