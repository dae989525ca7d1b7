#!/usr/bin/env node
// Entry point of the `sluice` command: runs the compiled CLI (built by `npm run build`, which `npm install` runs).
import { main } from '../dist/cli/main.js';

await main(process.argv);
