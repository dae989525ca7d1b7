// Small state files (checkpoints, metadata, id blocks) through the fs seam: read whole, and replaced
// atomically — write `<path>.tmp`, fsync it, rename it over the old file, fsync the directory — so a crash
// leaves the old contents or the new, never a mix. Every such file in the broker goes through here.
import { dirname } from 'node:path';
import type { LogFs } from './fs.ts';

export const TMP_SUFFIX = '.tmp';

export async function writeFileAtomic(fs: LogFs, path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const tmp = path + TMP_SUFFIX;
  const file = await fs.open(tmp, 'create');
  try {
    await file.truncate(0);
    await file.write(chunks, 0);
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(tmp, path);
  await fs.syncDir(dirname(path));
}

/** The whole contents of a small file, or undefined if it does not exist. */
export async function readSmallFile(fs: LogFs, path: string): Promise<Buffer | undefined> {
  const st = await fs.stat(path);
  if (!st) return undefined;
  const file = await fs.open(path, 'read');
  try {
    const buf = Buffer.allocUnsafe(st.size);
    const n = await file.read(buf, 0);
    return buf.subarray(0, n);
  } finally {
    await file.close();
  }
}

/** The parsed contents of a JSON file, or undefined if there is no such file. Throws on invalid JSON. */
export async function readJsonFile(fs: LogFs, path: string): Promise<unknown> {
  const bytes = await readSmallFile(fs, path);
  return bytes === undefined ? undefined : (JSON.parse(bytes.toString('utf8')) as unknown);
}

export async function writeJsonFile(fs: LogFs, path: string, value: unknown, indent?: number): Promise<void> {
  await writeFileAtomic(fs, path, [Buffer.from(JSON.stringify(value, null, indent) + '\n')]);
}
