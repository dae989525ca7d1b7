// A LogFs for tests that injects the failures a disk can produce: failed operations (EIO on the Nth write
// to a path, a failed fsync), a crash that loses every byte not yet fsynced (optionally leaving part of the
// unsynced tail behind: a torn write), and bit flips at rest. It wraps a real LogFs, so the files are real
// and a log reopened after crash() sees exactly what a machine would see after losing power.
//
// Crash model, per file opened through this fs:
// - The durable state is the file as of its last successful sync(); files that existed before they were
//   first opened here count as durable as found.
// - crash() puts back the durable bytes under any later overwrite (an undo log captures them before each
//   write that overlaps the durable part), then truncates the file to its durable size plus what
//   `keepUnsyncedBytes` allows of the unsynced tail.
// - A file created here vanishes in a crash unless its directory was synced (syncDir) after its creation.
//   Renames, unlinks and truncations are taken as durable at once (a simplification; the log syncs the
//   directory after each of them anyway).
// - From crash() on, every operation through this FaultFs (and every handle it opened) fails, as for a
//   process that died with the machine; the "rebooted" process opens a new FaultFs over the same files.
import { dirname, resolve } from 'node:path';
import { NodeLogFs } from './fs.ts';
import type { FileStat, LogFile, LogFs, OpenMode } from './fs.ts';

export type FaultOp = 'open' | 'read' | 'write' | 'sync' | 'truncate' | 'syncDir' | 'rename' | 'unlink';

export interface FaultRule {
  op: FaultOp;
  /** Only operations on this path: a RegExp, or a string equal to the path or to its last segments. */
  path?: string | RegExp;
  /** Matching operations let through before the first failure (the Nth write fails with skip N-1). */
  skip?: number;
  /** How many matching operations fail (default 1; Infinity for all of them). */
  times?: number;
  /** errno code of the error thrown (default EIO). */
  code?: string;
  /** write only: bytes of the write that reach the file before it fails. */
  partialBytes?: number;
}

export interface CrashOptions {
  /** Bytes of each file's unsynced tail that survive (a torn write); default 0. */
  keepUnsyncedBytes?: number | ((path: string, unsyncedBytes: number) => number);
  /** Keep files whose creation was not made durable by a syncDir; default false. */
  keepUnsyncedEntries?: boolean;
}

interface FileState {
  durableSize: number;
  undo: { position: number; bytes: Uint8Array }[];
}

interface ActiveRule extends FaultRule {
  seen: number;
  failed: number;
}

function matches(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  if (pattern instanceof RegExp) return pattern.test(path);
  return path === pattern || path.endsWith(`/${pattern}`);
}

function faultError(code: string, op: string, path: string): Error {
  return Object.assign(new Error(`${code}: injected fault: ${op} ${path}`), { code, syscall: op, path });
}

export class FaultFs implements LogFs {
  readonly inner: LogFs;
  #rules: ActiveRule[] = [];
  #holds: { op: FaultOp; path?: string | RegExp; gate: Promise<void> }[] = [];
  #counts = new Map<string, number>();
  #files = new Map<string, FileState>();
  #newEntries = new Set<string>();
  #inflight = new Set<Promise<unknown>>();
  #open = new Set<FaultFile>();
  #crashed = false;

  constructor(inner: LogFs = new NodeLogFs()) {
    this.inner = inner;
  }

  /** Makes matching operations fail; returns the rule so a test can read how often it fired. */
  inject(rule: FaultRule): Readonly<ActiveRule> {
    const active = { ...rule, seen: 0, failed: 0 };
    this.#rules.push(active);
    return active;
  }

  clearFaults(): void {
    this.#rules = [];
  }

  /** Matching operations wait (before doing anything) until the returned function is called. */
  hold(op: FaultOp, path?: string | RegExp): () => void {
    let release!: () => void;
    const entry = { op, path, gate: new Promise<void>((r) => (release = r)) };
    this.#holds.push(entry);
    return () => {
      this.#holds = this.#holds.filter((h) => h !== entry);
      release();
    };
  }

  /** Operations of kind `op` started so far, optionally only on matching paths. */
  count(op: FaultOp, path?: string | RegExp): number {
    let total = 0;
    for (const [key, n] of this.#counts) {
      const [kind, p] = key.split('\0');
      if (kind === op && matches(path, p)) total += n;
    }
    return total;
  }

  /** Runs one operation through counting, holds, faults and in-flight tracking. */
  async run<T>(op: FaultOp, path: string, body: () => Promise<T>): Promise<T> {
    const key = `${op}\0${path}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    for (const h of this.#holds) if (h.op === op && matches(h.path, path)) await h.gate;
    if (this.#crashed) throw faultError('EIO', op, `${path} (after crash)`);
    for (const rule of this.#rules) {
      if (rule.op !== op || !matches(rule.path, path)) continue;
      rule.seen += 1;
      if (rule.seen > (rule.skip ?? 0) && rule.failed < (rule.times ?? 1)) {
        rule.failed += 1;
        throw Object.assign(faultError(rule.code ?? 'EIO', op, path), { partialBytes: rule.partialBytes });
      }
    }
    const p = body();
    this.#inflight.add(p);
    try {
      const result = await p;
      // The machine went down while this ran: the process never learns that it completed.
      if (this.#crashed) throw faultError('EIO', op, `${path} (crashed while in flight)`);
      return result;
    } finally {
      this.#inflight.delete(p);
    }
  }

  get crashed(): boolean {
    return this.#crashed;
  }

  fileState(path: string): FileState {
    let st = this.#files.get(path);
    if (!st) {
      st = { durableSize: 0, undo: [] };
      this.#files.set(path, st);
    }
    return st;
  }

  forget(file: FaultFile): void {
    this.#open.delete(file);
  }

  async open(path: string, mode: OpenMode): Promise<LogFile> {
    const abs = resolve(path);
    return this.run('open', abs, async () => {
      const existed = (await this.inner.stat(abs)) !== undefined;
      const file = await this.inner.open(abs, mode);
      if (!this.#files.has(abs)) this.fileState(abs).durableSize = existed ? await file.size() : 0;
      if (!existed) this.#newEntries.add(abs);
      const wrapped = new FaultFile(this, file, abs);
      this.#open.add(wrapped);
      return wrapped;
    });
  }

  stat(path: string): Promise<FileStat | undefined> {
    return this.#alive('stat', path, () => this.inner.stat(path));
  }

  readdir(dir: string): Promise<string[]> {
    return this.#alive('readdir', dir, () => this.inner.readdir(dir));
  }

  mkdir(dir: string): Promise<void> {
    return this.#alive('mkdir', dir, () => this.inner.mkdir(dir));
  }

  #alive<T>(op: string, path: string, body: () => Promise<T>): Promise<T> {
    return this.#crashed ? Promise.reject(faultError('EIO', op, `${path} (after crash)`)) : body();
  }

  rename(from: string, to: string): Promise<void> {
    const [a, b] = [resolve(from), resolve(to)];
    return this.run('rename', a, async () => {
      await this.inner.rename(a, b);
      const st = this.#files.get(a);
      this.#files.delete(a);
      if (st) this.#files.set(b, st);
      else this.#files.delete(b);
      this.#newEntries.delete(a);
      this.#newEntries.delete(b);
    });
  }

  unlink(path: string): Promise<void> {
    const abs = resolve(path);
    return this.run('unlink', abs, async () => {
      await this.inner.unlink(abs);
      this.#files.delete(abs);
      this.#newEntries.delete(abs);
    });
  }

  rmdir(dir: string): Promise<void> {
    return this.#alive('rmdir', dir, () => this.inner.rmdir(dir));
  }

  syncDir(dir: string): Promise<void> {
    const abs = resolve(dir);
    return this.run('syncDir', abs, async () => {
      await this.inner.syncDir(abs);
      for (const p of this.#newEntries) if (dirname(p) === abs) this.#newEntries.delete(p);
    });
  }

  /** Loses power: see the crash model at the top of this file. Reopen with a new FaultFs. */
  async crash(options: CrashOptions = {}): Promise<void> {
    if (this.#crashed) throw new Error('FaultFs: already crashed');
    this.#crashed = true;
    await Promise.allSettled([...this.#inflight]);
    for (const f of this.#open) await f.inner.close().catch(() => undefined);
    this.#open.clear();
    for (const [path, st] of this.#files) {
      const stat = await this.inner.stat(path);
      if (!stat) continue;
      if (this.#newEntries.has(path) && !options.keepUnsyncedEntries) {
        await this.inner.unlink(path);
        this.#files.delete(path);
        continue;
      }
      const file = await this.inner.open(path, 'readWrite');
      for (const u of st.undo.reverse()) {
        const keep = Math.max(0, Math.min(u.bytes.length, st.durableSize - u.position));
        if (keep > 0) await file.write([u.bytes.subarray(0, keep)], u.position);
      }
      const unsynced = Math.max(0, stat.size - st.durableSize);
      const k = options.keepUnsyncedBytes;
      const kept = typeof k === 'function' ? k(path, unsynced) : (k ?? 0);
      const size = Math.min(stat.size, st.durableSize + Math.max(0, kept));
      await file.truncate(size);
      await file.close();
      st.durableSize = size;
      st.undo = [];
    }
    this.#newEntries.clear();
  }

  /** Flips one bit of a file on disk, as media corruption would (bypasses faults and crash tracking). */
  async flipBit(path: string, position: number, bit = 0): Promise<void> {
    const file = await this.inner.open(resolve(path), 'readWrite');
    try {
      const b = new Uint8Array(1);
      if ((await file.read(b, position)) !== 1) throw new Error(`flipBit: ${path} has no byte ${position}`);
      b[0] ^= 1 << bit;
      await file.write([b], position);
    } finally {
      await file.close();
    }
  }
}

class FaultFile implements LogFile {
  readonly path: string;
  readonly inner: LogFile;
  readonly #fs: FaultFs;

  constructor(fs: FaultFs, inner: LogFile, path: string) {
    this.#fs = fs;
    this.inner = inner;
    this.path = path;
  }

  read(into: Uint8Array, position: number): Promise<number> {
    return this.#fs.run('read', this.path, () => this.inner.read(into, position));
  }

  async write(chunks: readonly Uint8Array[], position: number): Promise<void> {
    try {
      await this.#fs.run('write', this.path, () => this.#write(chunks, position));
    } catch (err) {
      const partial = (err as { partialBytes?: number }).partialBytes;
      if (partial) await this.#write([Buffer.concat(chunks).subarray(0, partial)], position);
      throw err;
    }
  }

  async #write(chunks: readonly Uint8Array[], position: number): Promise<void> {
    const st = this.#fs.fileState(this.path);
    const length = chunks.reduce((n, c) => n + c.length, 0);
    const overlap = Math.min(position + length, st.durableSize) - position;
    if (overlap > 0) {
      const old = new Uint8Array(overlap);
      await this.inner.read(old, position);
      st.undo.push({ position, bytes: old });
    }
    await this.inner.write(chunks, position);
  }

  sync(): Promise<void> {
    return this.#fs.run('sync', this.path, async () => {
      const st = this.#fs.fileState(this.path);
      const size = await this.inner.size();
      const undone = st.undo.length;
      await this.inner.sync();
      if (this.#fs.crashed) return; // the power went while it ran: not durable, and run() fails it
      // max: a concurrent sync that started later (and saw more) may have finished first.
      st.durableSize = Math.max(st.durableSize, size);
      st.undo.splice(0, undone);
    });
  }

  truncate(size: number): Promise<void> {
    return this.#fs.run('truncate', this.path, async () => {
      await this.inner.truncate(size);
      const st = this.#fs.fileState(this.path);
      st.durableSize = Math.min(st.durableSize, size);
    });
  }

  size(): Promise<number> {
    return this.inner.size();
  }

  async close(): Promise<void> {
    this.#fs.forget(this);
    if (!this.#fs.crashed) await this.inner.close();
  }
}
