// Runs the real `sluice broker` command as a child process, for the tests that need a separate process:
// SIGKILL, SIGTERM, exit codes, and a memory figure that is the broker's alone. bin/sluice.js runs the
// compiled CLI in dist/, so `npm run build` must have run (npm test does it first).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { TestContext } from 'node:test';

const BIN = new URL('../../bin/sluice.js', import.meta.url).pathname;
const COMPILED_CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const LISTENING = /^sluice broker listening on 127\.0\.0\.1:(\d+)$/m;
const ADMIN = /^admin endpoint on http:\/\/127\.0\.0\.1:(\d+)$/m;

export interface BrokerProcessOptions {
  dataDir: string;
  /** Default fsync: the durability the crash tests are about. */
  durability?: string;
  /** Default warn: only problems reach stderr. */
  logLevel?: string;
  /** Start the admin endpoint on an ephemeral port. */
  admin?: boolean;
  /** More `sluice broker` flags. */
  args?: readonly string[];
  /** How long startup may take before the test fails (default 60 s: a loaded 2-core machine). */
  startDeadlineMs?: number;
  /** The child's environment (default ours). */
  env?: NodeJS.ProcessEnv;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BrokerProcess {
  readonly port: number;
  /** Set when started with `admin: true`. */
  readonly adminPort: number | undefined;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Settles when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Sends `signal` and waits for the exit (failing after `deadlineMs`, default 60 s). */
  kill(signal: NodeJS.Signals, deadlineMs?: number): Promise<ProcessExit>;
  /** SIGTERM: the clean shutdown an operator asks for. */
  stop(): Promise<ProcessExit>;
  /** The child's resident set size from /proc (Linux), in bytes. */
  rssBytes(): Promise<number>;
}

/** Starts `sluice broker --port 0` on `dataDir`; the process is SIGKILLed when `t` ends if still alive. */
export async function startBrokerProcess(
  t: TestContext,
  options: BrokerProcessOptions,
): Promise<BrokerProcess> {
  if (!existsSync(COMPILED_CLI)) {
    throw new Error(`${COMPILED_CLI} is missing: run \`npm run build\` before the process-level tests`);
  }
  const args = [
    BIN,
    'broker',
    '--port',
    '0',
    '--data-dir',
    options.dataDir,
    '--durability',
    options.durability ?? 'fsync',
    '--log-level',
    options.logLevel ?? 'warn',
    ...(options.admin ? ['--admin-port', '0'] : []),
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<ProcessExit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let exitedYet = false;
  void exited.then(() => (exitedYet = true));
  t.after(async () => {
    if (!exitedYet) child.kill('SIGKILL');
    await exited;
  });

  const describe = (): string => `sluice ${args.slice(1).join(' ')}\nstdout:\n${out}\nstderr:\n${err}`;
  const deadlineMs = options.startDeadlineMs ?? 60_000;
  const ready = (): boolean => LISTENING.test(out) && (!options.admin || ADMIN.test(out));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`broker did not start within ${deadlineMs} ms: ${describe()}`));
    }, deadlineMs);
    const onData = (): void => {
      if (!ready()) return;
      cleanup();
      resolve();
    };
    const onExit = (): void => {
      cleanup();
      reject(new Error(`broker exited during startup: ${describe()}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    onData();
  });

  const port = Number(LISTENING.exec(out)![1]);
  const adminMatch = ADMIN.exec(out);
  const kill = async (signal: NodeJS.Signals, deadlineMs = 60_000): Promise<ProcessExit> => {
    if (!exitedYet) child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`broker did not exit within ${deadlineMs} ms of ${signal}: ${describe()}`)),
        deadlineMs,
      );
    });
    try {
      return await Promise.race([exited, late]);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    port,
    adminPort: adminMatch ? Number(adminMatch[1]) : undefined,
    child,
    pid: child.pid!,
    exited,
    stdout: () => out,
    stderr: () => err,
    kill,
    stop: () => kill('SIGTERM'),
    async rssBytes() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status);
      if (!kib) throw new Error(`no VmRSS in /proc/${child.pid}/status`);
      return Number(kib[1]) * 1024;
    },
  };
}
