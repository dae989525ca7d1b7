// Opening the offset store's file: create the directory and an empty store (just a header) when there is
// none, remove what an interrupted compaction left, replay the file, and truncate a torn or corrupt tail
// after setting its bytes aside and saying so. Rules in docs/storage.md, "Replay and recovery on open".
import { join } from 'node:path';
import type { LogFile, LogFs } from '../../log/fs.ts';
import type { LogLogger } from '../../log/logger.ts';
import { encodeHeader } from './entries.ts';
import { writeFileAtomic } from '../../log/small-files.ts';
import { keepDamagedBytes, removeIfPresent } from './files.ts';
import { replayStore } from './replay.ts';
import type { OffsetState } from './state.ts';

/** The store's directory under the data directory. Never a partition directory: those end in -<n>. */
export const OFFSET_STORE_DIR = '__consumer_offsets';
export const OFFSET_STORE_FILE = 'offsets.log';

export interface OpenedFile {
  path: string;
  /** Open for reading and writing; `size` bytes of good entries, fsynced. */
  file: LogFile;
  size: number;
  state: OffsetState;
}

export async function openStoreFile(
  fs: LogFs,
  dataDir: string,
  logger: LogLogger,
  clock: () => number,
): Promise<OpenedFile> {
  const dir = join(dataDir, OFFSET_STORE_DIR);
  const path = join(dir, OFFSET_STORE_FILE);
  const existed = await fs.stat(dir);
  await fs.mkdir(dir);
  if (!existed) await fs.syncDir(dataDir);
  if (await removeIfPresent(fs, `${path}.tmp`)) {
    logger.info({ path }, 'removed the file of an unfinished offset store compaction');
  }
  if (!(await fs.stat(path))) await writeFileAtomic(fs, path, [encodeHeader(BigInt(clock()))]);

  const file = await fs.open(path, 'readWrite');
  try {
    const replayed = await replayStore(file);
    const { damage, validBytes, fileBytes } = replayed;
    if (damage) {
      const keptIn = await keepDamagedBytes(fs, file, validBytes, fileBytes, clock());
      logger.warn(
        {
          path,
          position: validBytes,
          droppedBytes: fileBytes - validBytes,
          reason: `the entry at ${validBytes} ${damage.reason}`,
          entriesKept: replayed.entries,
          keptIn,
        },
        'truncated torn or corrupt offset store tail',
      );
      await file.truncate(validBytes);
    }
    // What replay saw may still be only in the page cache (a process killed in none mode): make it durable
    // before anything is acknowledged on top of it.
    await file.sync();
    logger.info(
      {
        path,
        entries: replayed.entries,
        bytes: validBytes,
        groups: replayed.state.groups.size,
        groupsWithOffsets: replayed.state.offsets.size,
      },
      'offset store opened',
    );
    return { path, file, size: validBytes, state: replayed.state };
  } catch (err) {
    await file.close().catch(() => undefined);
    throw err;
  }
}
