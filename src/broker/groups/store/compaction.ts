// The file work of compacting the offset store: writing a fresh header and the entries that rebuild a
// snapshot of the live state, in chunks (so the event loop, and the commits it serves, are never held up
// for long), fsynced; then installing it with what was acknowledged since the snapshot. When each step runs,
// and what the store does when one fails, is the writer's business (writer.ts).
import { dirname } from 'node:path';
import type { LogFile, LogFs } from '../../log/fs.ts';
import { encodeEntry, encodeHeader } from './entries.ts';
import type { OffsetState } from './state.ts';

const CHUNK_BYTES = 1024 * 1024;
const CHUNK_ENTRIES = 1024;

export interface PreparedFile {
  file: LogFile;
  /** Bytes written: the header and the snapshot's entries. */
  size: number;
}

export class CompactionAbortedError extends Error {
  constructor() {
    super('compaction aborted: the offset store is closing');
    this.name = 'CompactionAbortedError';
  }
}

/**
 * Writes `snapshot` to `tmpPath` (created or emptied) and fsyncs it; the open file is returned. On any
 * failure, or when `aborted()` turns true between chunks, the file is closed and removed and the error
 * thrown (CompactionAbortedError for an abort).
 */
export async function writeCompactedFile(
  fs: LogFs,
  tmpPath: string,
  snapshot: OffsetState,
  createdAtMs: bigint,
  aborted: () => boolean,
): Promise<PreparedFile> {
  const file = await fs.open(tmpPath, 'create');
  try {
    await file.truncate(0);
    let size = 0;
    let chunk: Buffer[] = [encodeHeader(createdAtMs)];
    let chunkBytes = chunk[0].length;
    const flush = async () => {
      await file.write(chunk, size);
      size += chunkBytes;
      chunk = [];
      chunkBytes = 0;
      if (aborted()) throw new CompactionAbortedError();
    };
    for (const entry of snapshot.entries()) {
      const bytes = encodeEntry(entry);
      chunk.push(bytes);
      chunkBytes += bytes.length;
      if (chunkBytes >= CHUNK_BYTES || chunk.length >= CHUNK_ENTRIES) await flush();
    }
    if (chunk.length > 0) await flush();
    await file.sync();
    return { file, size };
  } catch (err) {
    await discardFile(fs, file);
    throw err;
  }
}

/** Closes and removes a compacted file that will not be installed (errors ignored: it is garbage anyway). */
export async function discardFile(fs: LogFs, file: LogFile): Promise<void> {
  await file.close().catch(() => undefined);
  await fs.unlink(file.path).catch(() => undefined);
}

/** installCompactedFile failed before the rename (the old file is still the store) or after it. */
export class InstallError extends Error {
  readonly renamed: boolean;

  constructor(renamed: boolean, cause: unknown) {
    super(`${renamed ? 'after' : 'before'} the rename: ${(cause as Error).message}`, { cause });
    this.name = 'InstallError';
    this.renamed = renamed;
  }
}

/**
 * Makes a prepared file the store: appends `tail` (what was acknowledged since its snapshot), fsyncs it,
 * renames it over `path`, reopens it by that name and fsyncs the directory. Returns the reopened file.
 * Reopened rather than kept: the same file on a real disk, but the fs seam (and the fault fs behind it in
 * tests) knows a file by the path it was opened with. The caller must not write `path` meanwhile.
 */
export async function installCompactedFile(
  fs: LogFs,
  prepared: PreparedFile,
  tail: readonly Buffer[],
  path: string,
): Promise<LogFile> {
  const { file, size } = prepared;
  try {
    if (tail.length > 0) await file.write(tail, size);
    await file.sync();
    await fs.rename(file.path, path);
  } catch (err) {
    await discardFile(fs, file);
    throw new InstallError(false, err);
  }
  await file.close().catch(() => undefined);
  let reopened: LogFile | undefined;
  try {
    reopened = await fs.open(path, 'readWrite');
    await fs.syncDir(dirname(path));
    return reopened;
  } catch (err) {
    await reopened?.close().catch(() => undefined);
    throw new InstallError(true, err);
  }
}
