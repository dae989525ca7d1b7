// Small JSON files in the data directory, through the broker's fs seam: read whole, and replaced
// atomically (temporary file, fsync, rename, fsync of the directory), so a crash leaves the old file or
// the new one, never a mix.
import { dirname } from 'node:path';
import type { LogFs } from '../log/index.ts';

/** The parsed contents of `path`, or undefined if there is no such file. Throws on invalid JSON. */
export async function readJsonFile(fs: LogFs, path: string): Promise<unknown> {
  const stat = await fs.stat(path);
  if (!stat) return undefined;
  const file = await fs.open(path, 'read');
  const bytes = Buffer.alloc(stat.size);
  try {
    await file.read(bytes, 0);
  } finally {
    await file.close();
  }
  return JSON.parse(bytes.toString('utf8')) as unknown;
}

export async function writeJsonFile(fs: LogFs, path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp`;
  const file = await fs.open(tmp, 'create');
  try {
    await file.truncate(0);
    await file.write([Buffer.from(JSON.stringify(value) + '\n')], 0);
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(tmp, path);
  await fs.syncDir(dirname(path));
}
