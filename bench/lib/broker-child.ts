// The broker under test as a child process (`bin/sluice.js broker`), so that its memory and CPU are its own
// and not mixed with the benchmark's clients. Resolves once it prints the port it bound; stops it with
// SIGTERM (a clean shutdown, which also lets `--cpu-prof` write its profile).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brokerNodeFlags, missingNodeFlags } from '../../src/broker/node-flags.ts';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(repoRoot, 'bin', 'sluice.js');
const compiledCli = join(repoRoot, 'dist', 'cli', 'main.js');
const STARTUP_DEADLINE_MS = 60_000;
const SHUTDOWN_DEADLINE_MS = 60_000;

export interface BrokerChildOptions {
  dataDir: string;
  durability: string;
  partitions: number;
  /** Write a V8 CPU profile of the broker into this directory when it stops. */
  cpuProfileDir?: string;
  /**
   * Node/V8 flags for the broker process (e.g. --trace-gc), on top of the ones `sluice broker` runs with
   * (src/broker/node-flags.ts), which a flag of the same name here replaces.
   */
  nodeFlags?: readonly string[];
  /** Prefix of the broker's stderr lines echoed to ours. */
  label: string;
}

export interface BrokerChild {
  readonly pid: number;
  readonly port: number;
  readonly adminPort: number;
  readonly bootstrap: string;
  /** The node flags the broker runs with (the profiler's aside). */
  readonly nodeFlags: readonly string[];
  /** SIGTERM, then wait for the exit; resolves with the exit code (SIGKILL after the deadline). */
  stop(): Promise<number | null>;
}

/**
 * The node flags a broker child runs with: `given`, then those `sluice broker` adds (src/broker/node-flags.ts)
 * that are named neither there nor in NODE_OPTIONS.
 */
export function brokerChildFlags(given: readonly string[] = []): string[] {
  return [...given, ...missingNodeFlags(brokerNodeFlags(), given, process.env.NODE_OPTIONS)];
}

/** How a report names a broker child's node flags. */
export function describeNodeFlags(flags: readonly string[]): string {
  return flags.length > 0 ? flags.join(' ') : "none (Node's defaults)";
}

export function assertBuilt(): void {
  if (!existsSync(compiledCli)) {
    throw new Error(`${compiledCli} is missing: run "npm run build" first (or use "npm run bench")`);
  }
}

/** A free TCP port on 127.0.0.1 for the admin endpoint (the CLI only prints the broker's own port). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port bound');
  return address.port;
}

export async function startBrokerChild(options: BrokerChildOptions): Promise<BrokerChild> {
  assertBuilt();
  const adminPort = await freePort();
  // Given here rather than left to bin/sluice.js's re-exec, so that the bench can say what they were.
  const brokerFlags = brokerChildFlags(options.nodeFlags);
  const nodeFlags = [
    ...brokerFlags,
    ...(options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : []),
  ];
  const args = [
    ...nodeFlags,
    cli,
    'broker',
    '--port',
    '0',
    '--data-dir',
    options.dataDir,
    '--durability',
    options.durability,
    '--partitions',
    String(options.partitions),
    '--log-level',
    'warn',
    '--admin-port',
    String(adminPort),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  echoStderr(child, options.label);

  let port: number;
  try {
    port = await waitForPort(child, exited);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  return {
    pid: child.pid!,
    port,
    adminPort,
    bootstrap: `127.0.0.1:${port}`,
    nodeFlags: brokerFlags,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), SHUTDOWN_DEADLINE_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function echoStderr(child: ChildProcess, label: string): void {
  let pending = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (line.trim()) process.stderr.write(`[broker ${label}] ${line}\n`);
  });
}

async function waitForPort(child: ChildProcess, exited: Promise<number | null>): Promise<number> {
  let stdout = '';
  const found = new Promise<number>((resolve) => {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      stdout += text;
      const match = /listening on \S+:(\d+)/.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`broker did not report its port within ${STARTUP_DEADLINE_MS} ms`)),
      STARTUP_DEADLINE_MS,
    );
  });
  const died = exited.then((code): never => {
    throw new Error(`broker exited with code ${code} before listening; stdout: ${stdout.trim()}`);
  });
  try {
    return await Promise.race([found, deadline, died]);
  } finally {
    clearTimeout(timer);
  }
}
