// One child process under the supervisor: spawned in its own process group (a terminal's Ctrl-C reaches
// only the supervisor, which then stops children in order), output appended to its log file, restarted
// with capped exponential back-off when it exits unasked, stopped with SIGTERM then SIGKILL after a
// deadline. The IPC channel is how a child notices its supervisor died (see watch-supervisor.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';

export type ProcessState = 'starting' | 'running' | 'stopped' | 'paused' | 'crashed' | 'restarting';

export interface ProcessSpec {
  name: string;
  role: 'bus' | 'component';
  /** The bus kind (`embedded`) or the component kind (`dashboard`, `frontend`, …). */
  kind: string;
  /** The program and its arguments (after the node executable). */
  args: string[];
  /** Resolves true once the child serves (its /healthz answers 200). */
  ready(): Promise<boolean>;
  httpPort?: number;
  adminPort?: number;
}

export interface BackoffOptions {
  /** First delay before a restart (default 500 ms). */
  initialMs?: number;
  /** Largest delay (default 30 s). */
  maxMs?: number;
  /** A child up this long has its back-off reset (default 30 s). */
  resetAfterMs?: number;
}

export interface ProcessInfo {
  name: string;
  kind: string;
  role: 'bus' | 'component';
  state: ProcessState;
  pid: number | null;
  restarts: number;
  httpPort?: number;
  adminPort?: number;
}

export type ProcessEvent = (name: string, message: string) => void;

const READY_POLL_MS = 250;

export class SupervisedProcess {
  readonly spec: ProcessSpec;
  private readonly logFile: string;
  private readonly backoff: Required<BackoffOptions>;
  private readonly onEvent: ProcessEvent;
  private child: ChildProcess | undefined;
  private state: ProcessState = 'stopped';
  private wanted = false;
  private restarts = 0;
  private crashesInARow = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(spec: ProcessSpec, logDir: string, onEvent: ProcessEvent, backoff: BackoffOptions = {}) {
    this.spec = spec;
    mkdirSync(logDir, { recursive: true });
    this.logFile = path.join(logDir, `${spec.name}.log`);
    this.onEvent = onEvent;
    this.backoff = {
      initialMs: backoff.initialMs ?? 500,
      maxMs: backoff.maxMs ?? 30_000,
      resetAfterMs: backoff.resetAfterMs ?? 30_000,
    };
  }

  info(): ProcessInfo {
    const { name, kind, role, httpPort, adminPort } = this.spec;
    return {
      name,
      kind,
      role,
      state: this.state,
      pid: this.child?.pid ?? null,
      restarts: this.restarts,
      ...(httpPort === undefined ? {} : { httpPort }),
      ...(adminPort === undefined ? {} : { adminPort }),
    };
  }

  /** Starts the child unless it runs already. */
  start(): void {
    this.wanted = true;
    if (this.child !== undefined) return;
    this.clearTimer();
    this.crashesInARow = 0;
    this.spawn('starting');
  }

  private spawn(state: 'starting' | 'restarting'): void {
    const log = openSync(this.logFile, 'a');
    writeSync(log, `--- ${new Date().toISOString()} ${state} ${this.spec.name}\n`);
    const child = spawn(process.execPath, this.spec.args, {
      stdio: ['ignore', log, log, 'ipc'],
      detached: true,
    });
    closeSync(log);
    this.child = child;
    this.state = state;
    this.startedAt = Date.now();
    this.onEvent(this.spec.name, `${state} (pid ${child.pid ?? '?'})`);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.onExit(child, code, signal);
        resolve();
      });
    });
    child.once('error', (err) => this.onEvent(this.spec.name, `cannot spawn: ${err.message}`));
    // The channel only tells the child we are alive; it must not keep this process running.
    child.unref();
    child.channel?.unref();
    void this.watchReady(child);
  }

  private async watchReady(child: ChildProcess): Promise<void> {
    while (this.child === child && (this.state === 'starting' || this.state === 'restarting')) {
      if (await this.spec.ready().catch(() => false)) {
        if (this.child === child && (this.state === 'starting' || this.state === 'restarting')) {
          this.state = 'running';
          this.onEvent(this.spec.name, 'running');
        }
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS).unref());
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    const how = signal === null ? `exit code ${code}` : signal;
    if (!this.wanted) {
      this.state = 'stopped';
      this.onEvent(this.spec.name, `stopped (${how})`);
      return;
    }
    this.restarts++;
    if (Date.now() - this.startedAt >= this.backoff.resetAfterMs) this.crashesInARow = 0;
    const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** this.crashesInARow);
    this.crashesInARow++;
    this.state = 'crashed';
    this.onEvent(this.spec.name, `crashed (${how}); restarting in ${delay} ms`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.wanted && this.child === undefined) this.spawn('restarting');
    }, delay);
    this.timer.unref();
  }

  /** SIGKILL: a crash as far as the supervisor knows, so it restarts the child. */
  async kill(): Promise<boolean> {
    if (this.child === undefined) return false;
    this.child.kill('SIGCONT');
    if (!this.child.kill('SIGKILL')) return false;
    await this.exited;
    return true;
  }

  /** SIGSTOP now, SIGCONT after `seconds`. */
  pause(seconds: number): boolean {
    const child = this.child;
    if (child === undefined || this.state === 'paused') return false;
    const before = this.state;
    if (!child.kill('SIGSTOP')) return false;
    this.state = 'paused';
    this.onEvent(this.spec.name, `paused for ${seconds} s`);
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.child !== child || this.state !== 'paused') return;
      child.kill('SIGCONT');
      this.state = before;
      this.onEvent(this.spec.name, 'resumed');
      if (this.state !== 'running') void this.watchReady(child);
    }, seconds * 1000);
    this.timer.unref();
    return true;
  }

  /** SIGTERM, then SIGKILL if it is still there after `deadlineMs`; no restart. */
  async stop(deadlineMs = 15_000): Promise<void> {
    this.wanted = false;
    this.clearTimer();
    const child = this.child;
    if (child === undefined) {
      this.state = 'stopped';
      return;
    }
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const killer = setTimeout(() => {
      this.onEvent(this.spec.name, `did not stop within ${deadlineMs} ms: SIGKILL`);
      child.kill('SIGKILL');
    }, deadlineMs);
    await this.exited;
    clearTimeout(killer);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
