// Small state files of a partition log directory, each replaced atomically (write a .tmp, fsync it, rename
// it over the old one, fsync the directory), so a crash leaves either the old or the new contents, never a
// mix: `log-start-offset` (the log start offset checkpoint) and `log-format` (the on-disk format version).
import { join } from 'node:path';
import type { LogFs } from './fs.ts';
import { UnsupportedLogFormatError } from './errors.ts';
import { readSmallFile, writeFileAtomic } from './small-files.ts';

export { TMP_SUFFIX } from './small-files.ts';

export const LOG_START_OFFSET_FILE = 'log-start-offset';
export const LOG_FORMAT_FILE = 'log-format';

/** The on-disk format this code writes and the newest it reads. See docs/storage.md. */
export const LOG_FORMAT_VERSION = 1;

// log-start-offset: "1\n<offset>\n" — a version line, then the offset in decimal.
export async function readLogStartOffset(fs: LogFs, dir: string): Promise<bigint | undefined> {
  const buf = await readSmallFile(fs, join(dir, LOG_START_OFFSET_FILE));
  if (!buf) return undefined;
  const match = /^1\n(\d{1,19})\n$/.exec(buf.toString('latin1'));
  if (!match)
    throw new UnsupportedLogFormatError(`${join(dir, LOG_START_OFFSET_FILE)} is not a v1 checkpoint`);
  return BigInt(match[1]);
}

export function writeLogStartOffset(fs: LogFs, dir: string, offset: bigint): Promise<void> {
  return writeFileAtomic(fs, join(dir, LOG_START_OFFSET_FILE), [Buffer.from(`1\n${offset}\n`, 'latin1')]);
}

// log-format: "sluice-log-format <version>\n".
const FORMAT_LINE = /^sluice-log-format (\d+)\n$/;

/** Reads the directory's format version, writing the current one into a directory that has none. */
export async function ensureLogFormat(fs: LogFs, dir: string): Promise<number> {
  const path = join(dir, LOG_FORMAT_FILE);
  const buf = await readSmallFile(fs, path);
  if (!buf) {
    await writeFileAtomic(fs, path, [Buffer.from(`sluice-log-format ${LOG_FORMAT_VERSION}\n`)]);
    return LOG_FORMAT_VERSION;
  }
  const match = FORMAT_LINE.exec(buf.toString('latin1'));
  if (!match) throw new UnsupportedLogFormatError(`${path} is not a log format file`);
  const version = Number(match[1]);
  if (version > LOG_FORMAT_VERSION) {
    throw new UnsupportedLogFormatError(
      `${dir} holds log format ${version}; this version of sluice reads up to ${LOG_FORMAT_VERSION}`,
    );
  }
  return version;
}
