// One running Kafka node: the JVM under scripts/kafka/supervise.sh (which SIGKILLs it if this Node
// process goes away, however it ends), its pid, and its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SUPERVISE = fileURLToPath(new URL('./supervise.sh', import.meta.url));

export interface NodeExit {
  /** The broker's exit status; 128 + n when signal n ended it. */
  code: number | null;
}

export class NodeProcess {
  readonly pid: number;
  readonly exited: Promise<NodeExit>;
  readonly #child: ChildProcess;
  #running = true;

  private constructor(child: ChildProcess, pid: number, exited: Promise<NodeExit>) {
    this.#child = child;
    this.pid = pid;
    this.exited = exited;
    void exited.then(() => (this.#running = false));
  }

  /** Starts `command` under the supervisor, its output appended to `outputFile`. */
  static async spawn(command: string, args: readonly string[], outputFile: string): Promise<NodeProcess> {
    const child = spawn('bash', [SUPERVISE, outputFile, command, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<NodeExit>((resolve) => child.once('exit', (code) => resolve({ code })));
    const pid = await new Promise<number>((resolve, reject) => {
      const onData = (): void => {
        const line = /^(\d+)\n/.exec(stdout);
        if (!line) return;
        child.stdout.off('data', onData);
        resolve(Number(line[1]));
      };
      child.stdout.on('data', onData);
      child.once('error', reject);
      void exited.then(({ code }) =>
        reject(new Error(`supervise.sh exited (${code}) before the start: ${stderr}`)),
      );
    });
    return new NodeProcess(child, pid, exited);
  }

  get running(): boolean {
    return this.#running;
  }

  /** Sends `signal` to the broker and waits for it to exit (failing after `deadlineMs`). */
  async kill(signal: NodeJS.Signals, deadlineMs: number): Promise<NodeExit> {
    if (this.#running) {
      try {
        process.kill(this.pid, signal);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Kafka pid ${this.pid} did not exit within ${deadlineMs} ms of ${signal}`)),
        deadlineMs,
      );
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
      if (!this.#running) this.#child.stdin?.destroy();
    }
  }
}

/** The last `lines` lines of a text file, or a note that it does not exist (for error messages). */
export function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return `(${file} does not exist)`;
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
