// The disk's own fsync latency, measured the way the log syncs (append a small write, then fdatasync) on a
// file in the directory that will hold the broker's data, so produce latency can be read against it.
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { msSince, summarize, type LatencySummary } from './stats.ts';

export interface DiskFsyncOptions {
  dir: string;
  /** Stop after this many write+fdatasync rounds… */
  samples: number;
  /** …or after this long, whichever comes first. */
  maxMs: number;
  writeBytes: number;
}

export async function measureDiskFsync(options: DiskFsyncOptions): Promise<LatencySummary> {
  const path = join(options.dir, 'fsync-probe.bin');
  const file = await open(path, 'w');
  const chunk = Buffer.alloc(options.writeBytes, 0x5a);
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  try {
    while (latencies.length < options.samples && msSince(started) < options.maxMs) {
      const start = process.hrtime.bigint();
      await file.write(chunk);
      await file.datasync();
      latencies.push(msSince(start));
    }
  } finally {
    await file.close();
    await rm(path, { force: true });
  }
  return summarize(latencies);
}
