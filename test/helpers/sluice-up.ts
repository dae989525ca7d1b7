// Runs `sluice up` (from source) as a child process with a topology in a temporary directory, and the other
// sluice commands against it, for the tests of the supervisor and of what runs under it.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { ProcessReport, SystemReport } from '../../src/supervisor/status-report.ts';
import { waitFor } from './wait-for.ts';

export const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

export interface Cli {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `sluice <args>` to its end. */
export function sluice(...args: string[]): Promise<Cli> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface Up {
  /** The temporary directory holding topology.yaml and (unless the topology says otherwise) data/. */
  dir: string;
  dataDir: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

/**
 * Starts `sluice up --config <dir>/topology.yaml` and waits until it reports running. SIGINTed (and the
 * directory removed) when `t` ends if still running.
 */
export async function startSluiceUp(t: TestContext, topology: string): Promise<Up> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-up-'));
  const config = path.join(dir, 'topology.yaml');
  await writeFile(config, topology);
  const child = spawn(process.execPath, [MAIN, 'up', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (output += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });
  await waitFor(() => output.includes('sluice up: running') || child.exitCode !== null, {
    what: 'sluice up to start',
    deadlineMs: 120_000,
  });
  assert.match(output, /sluice up: running/, output);
  return { dir, dataDir: path.join(dir, 'data'), child, exited, output: () => output };
}

/** `sluice status --json`. */
export async function status(dataDir: string): Promise<SystemReport> {
  const got = await sluice('status', '--data-dir', dataDir, '--json');
  assert.equal(got.code, 0, got.stderr);
  return JSON.parse(got.stdout) as SystemReport;
}

export function entry(report: SystemReport, name: string): ProcessReport {
  const found = report.components.find((c) => c.name === name);
  assert.ok(found, `no ${name} in ${JSON.stringify(report)}`);
  return found;
}
