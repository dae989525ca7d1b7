// Writing a compacted offset store file: a fresh header, then the entries that rebuild a snapshot of the
// live state, written in chunks (so the event loop, and the commits it serves, are never held up for long)
// and fsynced. The caller appends what was acknowledged since the snapshot and renames it into place.
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
