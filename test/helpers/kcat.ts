// Runs Debian's kcat (librdkafka 2.0.2) to completion for the real-client tests: killed and failed after a
// generous deadline, rejected with its stderr when it exits non-zero.
import { spawn } from 'node:child_process';

export const KCAT = '/usr/bin/kcat';

export interface KcatOutput {
  stdout: string;
  stderr: string;
}

export function runKcat(
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<KcatOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(KCAT, args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`kcat ${args.join(' ')} exited with ${code ?? signal}: ${stderr}`));
    });
    child.stdin.end(options.input ?? '');
  });
}
