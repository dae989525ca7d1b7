// The transaction coordinator's durable state: one small file, <dataDir>/__transaction_state/state.json,
// replaced atomically (small-files.ts: write a temporary file, fsync, rename, fsync the directory) on every
// change a restart must know: a transactional id's producer id and epoch, the partitions of its open
// transaction, the decision to commit or abort (written before any marker, as Kafka writes PrepareCommit
// and PrepareAbort), the offsets staged by TxnOffsetCommit, and the aborted-transaction index of every
// partition. Line 1 is a header with the format version and the CRC-32C of the JSON body that follows, so
// a damaged file is refused by name rather than half-read. Format: docs/storage.md, "Transactions".
//
// Writes coalesce: a change made while a write runs is carried by the next write, which starts as soon as
// that one ends, so a burst of changes costs two writes, not one each.
import { join } from 'node:path';
import { crc32c } from '../../protocol/crc32c.ts';
import type { LogFs } from '../log/fs.ts';
import { readSmallFile, writeFileAtomic } from '../log/small-files.ts';

export const TRANSACTION_STATE_DIR = '__transaction_state';
export const TRANSACTION_STATE_FILE = 'state.json';
export const TRANSACTION_STATE_FORMAT = 1;
const HEADER = /^sluice-transactions (\d+) crc32c=([0-9a-f]{8})$/;

export type TransactionStatus = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort';

export interface StoredPartition {
  topicId: string;
  topic: string;
  partition: number;
  /** The partition's log end offset when it joined the transaction: no batch of it can lie below. */
  addedAt: string;
}

export interface StoredOffset {
  group: string;
  topic: string;
  partition: number;
  offset: string;
  leaderEpoch: number;
  metadata: string | null;
}

export interface StoredTransaction {
  transactionalId: string;
  producerId: string;
  producerEpoch: number;
  timeoutMs: number;
  status: TransactionStatus;
  /** When the open transaction began (ms since the epoch); 0 when none is open. */
  startedAtMs: number;
  lastResult: 'commit' | 'abort' | null;
  partitions: StoredPartition[];
  groups: string[];
  offsets: StoredOffset[];
}

export interface StoredAborted {
  topicId: string;
  partition: number;
  producerId: string;
  firstOffset: string;
  lastOffset: string;
}

export interface StoredState {
  transactions: StoredTransaction[];
  aborted: StoredAborted[];
}

export class TransactionStateFormatError extends Error {}

export async function readTransactionState(fs: LogFs, dataDir: string): Promise<StoredState> {
  const path = join(dataDir, TRANSACTION_STATE_DIR, TRANSACTION_STATE_FILE);
  const bytes = await readSmallFile(fs, path);
  if (bytes === undefined) return { transactions: [], aborted: [] };
  const text = bytes.toString('utf8');
  const newline = text.indexOf('\n');
  const header = HEADER.exec(newline < 0 ? text : text.slice(0, newline));
  if (!header) throw new TransactionStateFormatError(`${path}: line 1 is not a transaction state header`);
  const format = Number(header[1]);
  if (format !== TRANSACTION_STATE_FORMAT) {
    throw new TransactionStateFormatError(
      `${path}: format ${format}, this broker reads format ${TRANSACTION_STATE_FORMAT}`,
    );
  }
  const body = bytes.subarray(Buffer.byteLength(text.slice(0, newline + 1)));
  const crc = crc32c(body).toString(16).padStart(8, '0');
  if (crc !== header[2]) {
    throw new TransactionStateFormatError(
      `${path}: checksum ${crc} does not match the header's ${header[2]}`,
    );
  }
  const state = JSON.parse(body.toString('utf8')) as StoredState;
  if (!Array.isArray(state.transactions) || !Array.isArray(state.aborted))
    throw new TransactionStateFormatError(`${path}: no transactions or aborted list`);
  return state;
}

export function encodeTransactionState(state: StoredState): Buffer[] {
  const body = Buffer.from(JSON.stringify(state) + '\n');
  const crc = crc32c(body).toString(16).padStart(8, '0');
  return [Buffer.from(`sluice-transactions ${TRANSACTION_STATE_FORMAT} crc32c=${crc}\n`), body];
}

/** Writes snapshots of the state, coalescing changes made while a write runs. */
export class TransactionStateWriter {
  readonly #fs: LogFs;
  readonly #dir: string;
  readonly #path: string;
  readonly #snapshot: () => StoredState;
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;
  #dirMade = false;

  constructor(fs: LogFs, dataDir: string, snapshot: () => StoredState) {
    this.#fs = fs;
    this.#dir = join(dataDir, TRANSACTION_STATE_DIR);
    this.#path = join(this.#dir, TRANSACTION_STATE_FILE);
    this.#snapshot = snapshot;
  }

  /** Resolves once a write that began after this call (so it carries every change made before) is durable. */
  persist(): Promise<void> {
    if (this.#next) return this.#next;
    if (!this.#running) {
      this.#running = this.#write().finally(() => (this.#running = undefined));
      return this.#running;
    }
    const after = this.#running.catch(() => undefined);
    this.#next = after.then(() => {
      this.#next = undefined;
      return this.persist();
    });
    return this.#next;
  }

  async #write(): Promise<void> {
    if (!this.#dirMade) {
      await this.#fs.mkdir(this.#dir);
      this.#dirMade = true;
    }
    await writeFileAtomic(this.#fs, this.#path, encodeTransactionState(this.#snapshot()));
  }
}
