// Producer ids are never handed out twice, restarts included: two producers sharing an id would have
// each other's batches taken for retries and silently dropped. Ids come from blocks reserved durably in
// `producer-ids.json` before any id of the block is used (Kafka reserves blocks the same way), so the
// common InitProducerId costs no disk write, and a crash at worst skips the rest of a block. The start
// is also raised past every id found in the logs, in case the file was lost with the logs kept.
import { join } from 'node:path';
import { z } from 'zod';
import type { LogFs } from '../log/index.ts';
import { readJsonFile, writeJsonFile } from '../log/small-files.ts';

export const PRODUCER_IDS_FILE = 'producer-ids.json';
const FORMAT_VERSION = 1;
export const PRODUCER_ID_BLOCK_SIZE = 1000n;

const fileSchema = z
  .object({
    formatVersion: z.literal(FORMAT_VERSION),
    nextBlockStart: z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'a non-negative integer as a string'),
  })
  .strict();

export class ProducerIdStoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProducerIdStoreError';
  }
}

export class ProducerIdAllocator {
  readonly #fs: LogFs;
  readonly #path: string;
  #next: bigint;
  /** Ids below this are reserved on disk for this process. */
  #reservedEnd: bigint;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(fs: LogFs, path: string, next: bigint) {
    this.#fs = fs;
    this.#path = path;
    this.#next = next;
    this.#reservedEnd = next;
  }

  /**
   * Reads the reservation file in `dataDir` (none yet: start at 0). `floor` is one past the largest
   * producer id seen in the logs. A damaged file fails startup naming it: guessing could reuse ids.
   */
  static async open(fs: LogFs, dataDir: string, floor = 0n): Promise<ProducerIdAllocator> {
    const path = join(dataDir, PRODUCER_IDS_FILE);
    let raw: unknown;
    try {
      raw = await readJsonFile(fs, path);
    } catch (err) {
      throw new ProducerIdStoreError(`${path} cannot be read: ${(err as Error).message}; refusing to start`, {
        cause: err,
      });
    }
    let next = 0n;
    if (raw !== undefined) {
      const parsed = fileSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ProducerIdStoreError(
          `${path} is damaged (${issue.path.join('.') || 'file'}: ${issue.message}); refusing to start`,
        );
      }
      next = BigInt(parsed.data.nextBlockStart);
    }
    return new ProducerIdAllocator(fs, path, next > floor ? next : floor);
  }

  /** The id the next allocation would return (tests). */
  get nextId(): bigint {
    return this.#next;
  }

  /** A fresh producer id. Rejects if a new block could not be reserved (the next call tries again). */
  allocate(): Promise<bigint> {
    const run = this.#queue.then(async () => {
      if (this.#next >= this.#reservedEnd) {
        const end = this.#next + PRODUCER_ID_BLOCK_SIZE;
        await writeJsonFile(this.#fs, this.#path, {
          formatVersion: FORMAT_VERSION,
          nextBlockStart: end.toString(),
        });
        this.#reservedEnd = end;
      }
      const id = this.#next;
      this.#next += 1n;
      return id;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
