// The disk buffer: the broker's PartitionLog (src/broker/log, docs/storage.md) used as it is. Each sealed
// batch is one v2 record batch in the log (one offset per record); the head is read back one batch at a
// time (never the whole buffer), and acknowledged batches are released with deleteRecordsBefore. Whatever
// an earlier run left is recovered on open and is the head: drained first, in order.
//
// A corrupt closed segment (a bad CRC found by a read) is quarantined: everything before the bad batch is
// sent first (reads below a corruption work), then the segment's files are moved to `<dir>/quarantine/`,
// the log is reopened past it, and the records it held from the bad batch on are reported lost (exactly:
// offsets are per record). A log directory that cannot be opened at all is moved aside whole. Never a crash
// loop: the next open finds the corrupt files gone.
import { mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptLogError, NodeLogFs, PartitionLog } from '../../broker/log/index.ts';
import type { Corruption, Durability, LogLogger } from '../../broker/log/index.ts';
import { batchSizeAt, readBatchHeader, splitBatches } from '../../protocol/record-batch.ts';
import type { SealedBatch } from '../kafka-client.ts';
import type { BatchStore } from './store.ts';

export interface QuarantineReport {
  /** What was moved. */
  files: string[];
  movedTo: string;
  /** Records lost with it (exact for a segment; 0 when a whole unreadable log was moved: count unknown). */
  records: number;
  reason: string;
}

export interface DiskStoreOptions {
  dir: string;
  maxBytes: number;
  segmentBytes?: number;
  durability?: Durability;
  logger: LogLogger;
  onQuarantine(report: QuarantineReport): void;
  /** A batch appended is written: the log holds its buffer no longer (it may serve another batch). */
  onWritten?(batch: SealedBatch): void;
}

/**
 * A batch in the log (its partition: -1 when recovered at open, the log does not keep it), or a range not
 * yet scanned (past a corruption found at open).
 */
type Entry =
  | { offset: bigint; records: number; bytes: number; partition: number; written: Promise<unknown> }
  | { hole: true; offset: bigint; end: bigint };

const SCAN_CHUNK = 1 << 20;

export class DiskStore implements BatchStore {
  readonly #o: DiskStoreOptions;
  readonly #logDir: string;
  #log: PartitionLog;
  #entries: Entry[] = [];
  #next: bigint;
  #bytes = 0;
  #records = 0;
  #reopening = false;
  #deferred: { buf: Buffer; done: (p: Promise<unknown>) => void }[] = [];
  #admin: Promise<unknown> = Promise.resolve();

  private constructor(o: DiskStoreOptions, log: PartitionLog) {
    this.#o = o;
    this.#logDir = join(o.dir, 'log');
    this.#log = log;
    this.#next = log.logEndOffset;
  }

  static async open(o: DiskStoreOptions): Promise<DiskStore> {
    const logDir = join(o.dir, 'log');
    let log: PartitionLog;
    try {
      log = await openLog(o, logDir);
    } catch (err) {
      // Not even openable (a garbled format file, an unreadable directory): move it all aside, start empty.
      const movedTo = await quarantineDir(o.dir);
      await rename(logDir, join(movedTo, 'log'));
      o.onQuarantine({
        files: [logDir],
        movedTo,
        records: 0,
        reason: `cannot open: ${(err as Error).message}`,
      });
      log = await openLog(o, logDir);
    }
    const store = new DiskStore(o, log);
    store.#entries = await store.#scan(log.logStartOffset, log.highWatermark);
    return store;
  }

  get bytes(): number {
    return this.#bytes;
  }
  get records(): number {
    return this.#records;
  }
  get batches(): number {
    return this.#entries.length;
  }

  append(batch: SealedBatch): void {
    // The log patches base offset and leader epoch in place and keeps the buffer until written.
    const buf = batch.bytes;
    const records = batch.records;
    let written: Promise<unknown>;
    if (this.#reopening) {
      written = new Promise((resolve) => this.#deferred.push({ buf, done: resolve }));
    } else {
      written = this.#log.append(buf);
    }
    written.then(
      () => this.#o.onWritten?.(batch),
      (err: unknown) => this.#o.logger.error({ err }, 'disk buffer append failed'),
    );
    this.#entries.push({
      offset: this.#next,
      records,
      bytes: buf.length,
      partition: batch.partition,
      written,
    });
    this.#next += BigInt(records);
    this.#bytes += buf.length;
    this.#records += records;
  }

  async at(index: number): Promise<SealedBatch | undefined> {
    if (index > 0) {
      // Behind the head: read only a batch known to be whole; a corruption is dealt with at the head.
      const e = this.#entries[index];
      if (!e || 'hole' in e || this.#reopening) return undefined;
      return this.#read(e).catch((err: unknown) => {
        if (err instanceof CorruptLogError) return undefined;
        throw err;
      });
    }
    for (;;) {
      const e = this.#entries[0];
      if (!e) return undefined;
      if ('hole' in e) {
        // Scan what was left unscanned past a corruption: batches up to the next corruption, if any.
        const found = await this.#scan(e.offset, e.end);
        this.#forget(e); // after the scan counted what it found: the totals never dip below the truth
        this.#entries.splice(0, 1, ...found);
        const first = this.#entries[0];
        if (first && 'hole' in first && first.offset === e.offset) {
          await this.#quarantine(e.offset, await this.#corruptionAt(e.offset));
        }
        continue;
      }
      try {
        return await this.#read(e);
      } catch (err) {
        if (!(err instanceof CorruptLogError)) throw err;
        await this.#quarantine(e.offset, err.corruption);
      }
    }
  }

  /** One stored batch, in a buffer of its own (a read may return more than the batch asked for). */
  async #read(e: Extract<Entry, { written: Promise<unknown> }>): Promise<SealedBatch> {
    await e.written;
    const read = await this.#log.read(e.offset, 1);
    const size = batchSizeAt(read.records, 0);
    const bytes = size === read.records.length ? read.records : Buffer.from(read.records.subarray(0, size));
    return { partition: e.partition, bytes, records: e.records };
  }

  async ackHead(): Promise<void> {
    const e = this.#entries.shift();
    if (!e) return;
    this.#forget(e);
    await this.#release();
  }

  evictOldest(inFlight: number): number {
    const i = inFlight;
    const e = this.#entries[i];
    if (!e) return 0;
    this.#entries.splice(i, 1);
    const n = this.#forget(e);
    // Evicting a batch behind the one in flight frees its bytes now and its disk space when the head goes.
    if (i === 0) void this.#release();
    return n;
  }

  async stored(): Promise<void> {
    await Promise.allSettled(this.#entries.map((e) => ('hole' in e ? Promise.resolve() : e.written)));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#entries.map((e) => ('hole' in e ? Promise.resolve() : e.written)));
    await this.#admin.catch(() => undefined);
    await this.#log.close();
  }

  #forget(e: Entry): number {
    const n = 'hole' in e ? Number(e.end - e.offset) : e.records;
    this.#records -= n;
    if (!('hole' in e)) this.#bytes -= e.bytes;
    return n;
  }

  /** Everything before the head is sent or dropped: let the log free it (whole segments at a time). */
  #release(): Promise<unknown> {
    this.#admin = this.#admin
      .then(() => {
        const head = this.#entries[0]?.offset ?? this.#next;
        const upTo = head < this.#log.highWatermark ? head : this.#log.highWatermark;
        if (upTo > this.#log.logStartOffset) return this.#log.deleteRecordsBefore(upTo);
      })
      .catch((err: unknown) => this.#o.logger.warn({ err }, 'disk buffer: releasing sent batches failed'));
    return this.#admin;
  }

  /** Entries for [from, end): whole batches read a chunk at a time; a corruption leaves a hole to the end. */
  async #scan(from: bigint, end: bigint): Promise<Entry[]> {
    const out: Entry[] = [];
    let offset = from;
    const written = Promise.resolve();
    while (offset < end) {
      let records: Buffer;
      try {
        ({ records } = await this.#log.read(offset, SCAN_CHUNK, { maxOffset: end }));
      } catch (err) {
        if (!(err instanceof CorruptLogError)) throw err;
        out.push({ hole: true, offset, end });
        this.#records += Number(end - offset);
        break;
      }
      let advanced = false;
      for (const span of splitBatches(records)) {
        const h = readBatchHeader(records, span.offset);
        if (h.baseOffset < offset) continue;
        out.push({
          offset: h.baseOffset,
          records: h.lastOffsetDelta + 1,
          bytes: span.size,
          partition: -1,
          written,
        });
        this.#bytes += span.size;
        this.#records += h.lastOffsetDelta + 1;
        offset = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
        advanced = true;
      }
      if (!advanced) break;
    }
    return out;
  }

  async #corruptionAt(offset: bigint): Promise<Corruption> {
    try {
      await this.#log.read(offset, 1);
    } catch (err) {
      if (err instanceof CorruptLogError) return err.corruption;
      throw err;
    }
    throw new Error(`disk buffer: expected a corruption at offset ${offset}`);
  }

  /**
   * The head is at `from` and the batch there is corrupt: everything before it is sent. Moves the corrupt
   * segment aside, reopens the log past it, and drops the entries it covered (reported as lost).
   */
  async #quarantine(from: bigint, corruption: Corruption): Promise<void> {
    this.#reopening = true;
    try {
      if (from > this.#log.logStartOffset) await this.#log.deleteRecordsBefore(from);
      await Promise.allSettled(this.#entries.map((e) => ('hole' in e ? Promise.resolve() : e.written)));
      await this.#admin.catch(() => undefined);
      await this.#log.close();
      const base = corruption.segmentBaseOffset;
      const bases = (await readdir(this.#logDir))
        .filter((f) => /^\d{20}\.log$/.test(f))
        .map((f) => BigInt(f.slice(0, 20)))
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const nextBase = bases.find((b) => b > base) ?? this.#next;
      const movedTo = await quarantineDir(this.#o.dir);
      const name = String(base).padStart(20, '0');
      const files: string[] = [];
      for (const suffix of ['.log', '.index', '.timeindex']) {
        const file = join(this.#logDir, name + suffix);
        if (
          await rename(file, join(movedTo, name + suffix)).then(
            () => true,
            () => false,
          )
        )
          files.push(file);
      }
      this.#log = await openLog(this.#o, this.#logDir);
      let lost = 0;
      while (this.#entries.length > 0 && this.#entries[0].offset < nextBase) {
        const e = this.#entries[0];
        if ('hole' in e && e.end > nextBase) {
          this.#records -= Number(nextBase - e.offset);
          lost += Number(nextBase - e.offset);
          e.offset = nextBase;
          break;
        }
        this.#entries.shift();
        lost += this.#forget(e);
      }
      this.#o.onQuarantine({ files, movedTo, records: lost, reason: corruption.reason });
    } finally {
      this.#reopening = false;
      for (const d of this.#deferred.splice(0)) d.done(this.#log.append(d.buf));
    }
  }
}

function openLog(o: DiskStoreOptions, dir: string): Promise<PartitionLog> {
  const segmentBytes = o.segmentBytes ?? Math.min(64 << 20, Math.max(64 << 10, Math.floor(o.maxBytes / 8)));
  const durability = o.durability ?? { mode: 'interval', intervalMs: 1000 };
  return PartitionLog.open(new NodeLogFs(), dir, { segmentBytes, durability }, o.logger);
}

async function quarantineDir(dir: string): Promise<string> {
  const target = join(dir, 'quarantine', `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  await mkdir(target, { recursive: true });
  return target;
}
