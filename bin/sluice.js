#!/usr/bin/env node
// Entry point of the `sluice` command: runs the compiled CLI (built by `npm run build`, which `npm install` runs).
import module from 'node:module';

// Node's on-disk compile cache (Node 22.1+) roughly halves start-up: the CLI loads a few hundred modules,
// most of them generated protocol codecs.
module.enableCompileCache?.();

const { main } = await import('../dist/cli/main.js');
await main(process.argv);
