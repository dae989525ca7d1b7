// Wraps the log's file-system seam to time every fsync, for the broker's fsync-latency histogram.
import type { LogFile, LogFs, OpenMode } from './log/index.ts';

export function timedFs(inner: LogFs, observe: (seconds: number) => void): LogFs {
  const timed = async (work: () => Promise<void>): Promise<void> => {
    const start = process.hrtime.bigint();
    try {
      await work();
    } finally {
      observe(Number(process.hrtime.bigint() - start) / 1e9);
    }
  };
  const wrapFile = (file: LogFile): LogFile => ({
    path: file.path,
    read: (into, position) => file.read(into, position),
    write: (chunks, position) => file.write(chunks, position),
    sync: () => timed(() => file.sync()),
    truncate: (size) => file.truncate(size),
    size: () => file.size(),
    close: () => file.close(),
  });
  return {
    open: async (path: string, mode: OpenMode) => wrapFile(await inner.open(path, mode)),
    stat: (path) => inner.stat(path),
    readdir: (dir) => inner.readdir(dir),
    mkdir: (dir) => inner.mkdir(dir),
    rename: (from, to) => inner.rename(from, to),
    unlink: (path) => inner.unlink(path),
    rmdir: (dir) => inner.rmdir(dir),
    syncDir: (dir) => timed(() => inner.syncDir(dir)),
  };
}
