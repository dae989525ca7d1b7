// `npm run build` step: bundles the dashboard's front end (web/) into dist/web, which the compiled
// dashboard service serves.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWeb } from '../src/services/dashboard/web-assets.ts';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/web');
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const files = await bundleWeb();
for (const [name, body] of files) await writeFile(path.join(out, name), body);
console.log(`dist/web: ${[...files.keys()].join(', ')}`);
