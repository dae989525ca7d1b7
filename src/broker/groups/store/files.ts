// File chores of the offset store: creating its file atomically, setting aside a damaged tail before it is
// truncated, and removing what an interrupted compaction left behind.
import { basename, dirname } from 'node:path';
import type { LogFile, LogFs } from '../../log/fs.ts';

const COPY_CHUNK_BYTES = 1024 * 1024;

/**
 * Copies bytes [from, to) of `file` to a new file next to it, named after the time and position, so that an
 * operator can look at what recovery is about to drop. Returns the new file's name.
 */
export async function keepDamagedBytes(
  fs: LogFs,
  file: LogFile,
  from: number,
  to: number,
  nowMs: number,
): Promise<string> {
  const path = `${file.path}.damaged-${nowMs}-at-${from}`;
  const out = await fs.open(path, 'create');
  try {
    await out.truncate(0);
    for (let pos = from; pos < to; pos += COPY_CHUNK_BYTES) {
      const chunk = Buffer.allocUnsafe(Math.min(COPY_CHUNK_BYTES, to - pos));
      const n = await file.read(chunk, pos);
      await out.write([chunk.subarray(0, n)], pos - from);
    }
    await out.sync();
  } finally {
    await out.close();
  }
  await fs.syncDir(dirname(path));
  return basename(path);
}

/** Removes `path` if it exists; true when it did. */
export async function removeIfPresent(fs: LogFs, path: string): Promise<boolean> {
  if (!(await fs.stat(path))) return false;
  await fs.unlink(path);
  return true;
}
