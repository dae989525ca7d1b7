// <dataDir>/run/supervisor.json: how `sluice status` and `sluice chaos` find a running `sluice up`.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CommandError } from '../cli/command-error.ts';

export interface RunFile {
  pid: number;
  controlPort: number;
  /** The resolved topology JSON the children run with. */
  topologyFile: string;
}

export function runFilePath(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'run', 'supervisor.json');
}

export async function writeRunFile(dataDir: string, run: RunFile): Promise<void> {
  const file = runFilePath(dataDir);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, `${JSON.stringify(run, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

export async function removeRunFile(dataDir: string): Promise<void> {
  await rm(runFilePath(dataDir), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The run file of a live supervisor, or a CommandError saying nothing runs there. */
export async function readRunFile(dataDir: string, command: string): Promise<RunFile> {
  const file = runFilePath(dataDir);
  let run: RunFile;
  try {
    run = JSON.parse(await readFile(file, 'utf8')) as RunFile;
  } catch {
    throw new CommandError(
      `${command}: nothing is running with data dir ${path.resolve(dataDir)} (no ${file}); start it with \`sluice up\``,
      1,
    );
  }
  if (!alive(run.pid))
    throw new CommandError(
      `${command}: nothing is running with data dir ${path.resolve(dataDir)} (the supervisor, pid ${run.pid}, is gone)`,
      1,
    );
  return run;
}

export interface LocateFlags {
  dataDir?: string;
  config?: string;
}

/** The data dir a command addresses: --data-dir, else the dataDir of --config, else the default's. */
export async function locateDataDir(flags: LocateFlags): Promise<string> {
  if (flags.dataDir !== undefined) return path.resolve(flags.dataDir);
  const { loadTopology } = await import('../topology/load.ts');
  return (await loadTopology(flags.config)).topology.dataDir;
}
