#!/usr/bin/env node
// Entry point of the `sluice` command: runs the compiled CLI (built by `npm run build`, which `npm install` runs).
import module from 'node:module';

// `sluice broker` runs with the node flags of src/broker/node-flags.ts (a young generation sized for a
// broker's garbage). V8 takes them at start-up only, so a process started without them replaces itself
// with one that has them: process.execve keeps the pid, the open descriptors and the environment.
if (process.argv[2] === 'broker' && typeof process.execve === 'function') {
  const { brokerNodeFlags, missingNodeFlags } = await import('../dist/broker/node-flags.js');
  let missing;
  try {
    missing = missingNodeFlags(brokerNodeFlags(), process.execArgv, process.env.NODE_OPTIONS);
  } catch (err) {
    process.stderr.write(`sluice broker: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  if (missing.length > 0) {
    const argv = [process.execPath, ...process.execArgv, ...missing, ...process.argv.slice(1)];
    process.execve(process.execPath, argv, process.env);
  }
}

// Node's on-disk compile cache (Node 22.1+) roughly halves start-up: the CLI loads a few hundred modules,
// most of them generated protocol codecs.
module.enableCompileCache?.();

const { main } = await import('../dist/cli/main.js');
await main(process.argv);
