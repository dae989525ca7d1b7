// The file-system seam of the partition log: exactly the operations the log performs, so that tests can
// swap in a fault-injecting implementation (fault-fs.ts) and every byte the log touches goes through here.
//
// The real implementation uses node:fs's callback API on raw file descriptors rather than fs/promises
// FileHandles. Both run on libuv's thread pool, but each FileHandle call allocates more (a handle object
// tracked for GC-close, a promise per operation inside node's own JS layer) and has measured slower for the
// small, frequent positional reads and writes a log does; the callback API wrapped in one promise per call
// is the cheapest asynchronous path node offers. Writes take a list of chunks so the appender can hand a
// whole group of batches to one writev(2) without copying them together first.
import * as fs from 'node:fs';

/**
 * How a file is opened. `read`: must exist, read only. `readWrite`: must exist. `create`: read-write,
 * created empty if missing, existing contents kept.
 */
export type OpenMode = 'read' | 'readWrite' | 'create';

/** An open file. Positions are byte offsets from the start of the file. */
export interface LogFile {
  readonly path: string;
  /** Reads into `into` from `position` until it is full or the file ends; returns the bytes read. */
  read(into: Uint8Array, position: number): Promise<number>;
  /** Writes every byte of `chunks`, in order, starting at `position` (short writes are retried). */
  write(chunks: readonly Uint8Array[], position: number): Promise<void>;
  /** fdatasync(2): the data, and the metadata needed to read it back (the size), reach the disk. */
  sync(): Promise<void>;
  truncate(size: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export interface FileStat {
  size: number;
  mtimeMs: number;
  isDirectory: boolean;
}

export interface LogFs {
  open(path: string, mode: OpenMode): Promise<LogFile>;
  /** undefined when nothing is at `path`. */
  stat(path: string): Promise<FileStat | undefined>;
  /** Names (not paths) of the entries of `dir`. */
  readdir(dir: string): Promise<string[]>;
  /** Creates `dir` and any missing parents; no error if it exists. */
  mkdir(dir: string): Promise<void>;
  /** Atomically replaces `to` with `from` (rename(2)). */
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Removes an empty directory. */
  rmdir(dir: string): Promise<void>;
  /** fsync(2) of a directory: makes the creations, renames and removals of its entries durable. */
  syncDir(dir: string): Promise<void>;
}

// Not 'a+' for create: O_APPEND makes Linux ignore the position of pwrite(2).
const FLAGS: Record<OpenMode, number> = {
  read: fs.constants.O_RDONLY,
  readWrite: fs.constants.O_RDWR,
  create: fs.constants.O_RDWR | fs.constants.O_CREAT,
};

function settle<T>(resolve: (v: T) => void, reject: (e: Error) => void) {
  return (err: Error | null, value: T) => (err ? reject(err) : resolve(value));
}

class NodeLogFile implements LogFile {
  readonly path: string;
  readonly #fd: number;

  constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  async read(into: Uint8Array, position: number): Promise<number> {
    let done = 0;
    while (done < into.length) {
      const n = await new Promise<number>((resolve, reject) =>
        fs.read(this.#fd, into, done, into.length - done, position + done, settle(resolve, reject)),
      );
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  async write(chunks: readonly Uint8Array[], position: number): Promise<void> {
    let pending = chunks.filter((c) => c.length > 0);
    while (pending.length > 0) {
      const n = await new Promise<number>((resolve, reject) =>
        fs.writev(this.#fd, pending, position, settle(resolve, reject)),
      );
      position += n;
      pending = dropWritten(pending, n);
    }
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => fs.fdatasync(this.#fd, (err) => (err ? reject(err) : resolve())));
  }

  truncate(size: number): Promise<void> {
    return new Promise((resolve, reject) =>
      fs.ftruncate(this.#fd, size, (err) => (err ? reject(err) : resolve())),
    );
  }

  size(): Promise<number> {
    return new Promise((resolve, reject) =>
      fs.fstat(this.#fd, (err, st) => (err ? reject(err) : resolve(st.size))),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => fs.close(this.#fd, (err) => (err ? reject(err) : resolve())));
  }
}

/** The chunks left after the first `written` bytes of `chunks` went out (a short writev). */
function dropWritten(chunks: Uint8Array[], written: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  for (const chunk of chunks) {
    if (written >= chunk.length) {
      written -= chunk.length;
      continue;
    }
    rest.push(written > 0 ? chunk.subarray(written) : chunk);
    written = 0;
  }
  return rest;
}

/** The real file system. */
export class NodeLogFs implements LogFs {
  open(path: string, mode: OpenMode): Promise<LogFile> {
    return new Promise((resolve, reject) =>
      fs.open(path, FLAGS[mode], 0o644, (err, fd) =>
        err ? reject(err) : resolve(new NodeLogFile(path, fd)),
      ),
    );
  }

  async stat(path: string): Promise<FileStat | undefined> {
    try {
      const st = await fs.promises.stat(path);
      return { size: st.size, mtimeMs: st.mtimeMs, isDirectory: st.isDirectory() };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  readdir(dir: string): Promise<string[]> {
    return fs.promises.readdir(dir);
  }

  async mkdir(dir: string): Promise<void> {
    await fs.promises.mkdir(dir, { recursive: true });
  }

  rename(from: string, to: string): Promise<void> {
    return fs.promises.rename(from, to);
  }

  unlink(path: string): Promise<void> {
    return fs.promises.unlink(path);
  }

  rmdir(dir: string): Promise<void> {
    return fs.promises.rmdir(dir);
  }

  async syncDir(dir: string): Promise<void> {
    const fd = await new Promise<number>((resolve, reject) => fs.open(dir, 'r', settle(resolve, reject)));
    try {
      await new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
    } finally {
      await new Promise<void>((resolve) => fs.close(fd, () => resolve()));
    }
  }
}
