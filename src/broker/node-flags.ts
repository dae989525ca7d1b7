// The Node/V8 flags a broker process runs with, as a JVM broker's start script sets its GC flags.
//
// Most of the broker's garbage under a produce load is the buffer Node allocates for every socket read:
// hundreds of MB/s, memory outside V8's heap. With Node's default young generation (it grows to tens of
// MB) scavenges are rare, the dead read buffers pile up, and V8 answers the external memory growth with
// full mark-compact collections of the whole heap, several a second. A 1 MiB semi-space makes scavenges
// frequent and cheap (the broker keeps little young data alive), the read buffers die in them, and the
// mark-compacts stop: docs/benchmarks.md, "The broker's young generation", has the figures.
//
// V8 sizes its heap once, at start-up, so the flags go on the command line of whoever starts the broker:
// the supervisor's (src/supervisor/supervisor.ts), and `bin/sluice.js broker`, which replaces itself with a
// process that has them (process.execve: the same pid, so signals and SIGKILL reach the broker as before).
// SLUICE_BROKER_NODE_FLAGS replaces the list ('' runs the broker with Node's defaults); a flag the user
// already gave (on node's command line or in NODE_OPTIONS) is left as given.

export const BROKER_NODE_FLAGS_ENV = 'SLUICE_BROKER_NODE_FLAGS';
export const DEFAULT_BROKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** The flags a broker should run with: SLUICE_BROKER_NODE_FLAGS (space-separated) if set, else the default. */
export function brokerNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const given = env[BROKER_NODE_FLAGS_ENV];
  if (given === undefined) return [...DEFAULT_BROKER_NODE_FLAGS];
  const flags = given.split(/\s+/).filter((f) => f !== '');
  for (const flag of flags) {
    if (!/^--[A-Za-z]/.test(flag)) {
      throw new Error(
        `${BROKER_NODE_FLAGS_ENV}: "${flag}" is not a node flag (expected space-separated flags such as --max-semi-space-size=1)`,
      );
    }
  }
  return flags;
}

/** A flag's name: `--max_semi_space_size=4` and `--max-semi-space-size` both name max-semi-space-size. */
const flagName = (flag: string): string => flag.split('=')[0].replace(/^-+/, '').replaceAll('_', '-');

/**
 * The `wanted` flags whose name is given neither in `execArgv` (node's own command-line flags) nor in
 * `nodeOptions` (NODE_OPTIONS): what a process started with those still lacks.
 */
export function missingNodeFlags(
  wanted: readonly string[],
  execArgv: readonly string[],
  nodeOptions = '',
): string[] {
  const given = new Set(
    [...execArgv, ...nodeOptions.split(/\s+/)].filter((a) => a.startsWith('--')).map(flagName),
  );
  return wanted.filter((flag) => !given.has(flagName(flag)));
}
