// The dashboard's front end (web/): bundled by esbuild. Running from the compiled package, the service
// serves what `npm run build` wrote to dist/web; running from source (node src/...), it bundles web/ in
// memory at start, so what a checkout serves is always its current web/ (no stale dist/web).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  contentType: string;
  body: Buffer;
}
/** URL path (`/`, `/assets/main.js`, ...) → asset. */
export type Assets = Map<string, Asset>;

const here = path.dirname(fileURLToPath(import.meta.url));
const fromSource = import.meta.url.endsWith('.ts');
/** web/ of the checkout (source layout: src/services/dashboard → ../../../web). */
export const WEB_SOURCE_DIR = path.resolve(here, '../../../web');
/** dist/web of the package (compiled layout: dist/services/dashboard → ../../web). */
const WEB_DIST_DIR = path.resolve(here, '../../web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Bundles web/ with esbuild: file name (index.html, main.js, main.css) → content. */
export async function bundleWeb(): Promise<Map<string, Buffer>> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [path.join(WEB_SOURCE_DIR, 'main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: true,
    outdir: 'out',
    logLevel: 'silent',
  });
  const files = new Map<string, Buffer>();
  for (const file of result.outputFiles) files.set(path.basename(file.path), Buffer.from(file.contents));
  files.set('index.html', await readFile(path.join(WEB_SOURCE_DIR, 'index.html')));
  return files;
}

export async function loadAssets(): Promise<Assets> {
  let files: Map<string, Buffer>;
  if (fromSource) files = await bundleWeb();
  else {
    files = new Map();
    let names: string[];
    try {
      names = await readdir(WEB_DIST_DIR);
    } catch {
      throw new Error(`the dashboard's front end is missing: ${WEB_DIST_DIR} (run npm run build)`);
    }
    for (const name of names) files.set(name, await readFile(path.join(WEB_DIST_DIR, name)));
  }
  const assets: Assets = new Map();
  for (const [name, body] of files) {
    const contentType = TYPES[path.extname(name)] ?? 'application/octet-stream';
    assets.set(name === 'index.html' ? '/' : `/assets/${name}`, { contentType, body });
  }
  return assets;
}
