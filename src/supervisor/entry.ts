// How the supervisor starts a child: this Node, its flags, and the CLI's own entry module (main.ts from a
// checkout, dist/cli/main.js when installed), which runs itself when executed directly.
import { fileURLToPath } from 'node:url';
import { missingNodeFlags } from '../broker/node-flags.ts';

const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
export const CLI_ENTRY = fileURLToPath(new URL(`../cli/main${extension}`, import.meta.url));

/** Node flags to pass on; the test runner's own flags would turn a child into a test run. */
export function childExecArgv(): string[] {
  return process.execArgv.filter((a) => !a.startsWith('--test'));
}

/** `nodeFlags`: more node flags for this child, beside the ones passed on (which win over them). */
export function cliArgs(args: string[], nodeFlags: readonly string[] = []): string[] {
  const execArgv = childExecArgv();
  const more = missingNodeFlags(nodeFlags, execArgv, process.env.NODE_OPTIONS);
  return [...execArgv, ...more, CLI_ENTRY, ...args];
}
