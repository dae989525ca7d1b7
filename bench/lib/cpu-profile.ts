// Where the broker's CPU time went: reads a V8 .cpuprofile (written by the child's `--cpu-prof`) and sums
// self time per function, so the benchmark can print the top entries next to its figures.
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  name: string;
  selfMs: number;
  share: number;
}

/** The newest .cpuprofile in `dir`, or undefined. */
export async function newestProfile(dir: string): Promise<string | undefined> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.cpuprofile')).sort();
  return names.length > 0 ? join(dir, names[names.length - 1]) : undefined;
}

export async function hotFunctions(path: string, root: string, top = 15): Promise<HotFunction[]> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const frameOf = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((nodeId, i) => {
    const frame = frameOf.get(nodeId);
    const delta = profile.timeDeltas[i] ?? 0;
    if (!frame) return;
    totalUs += delta;
    const where = frame.url ? `${shortUrl(frame.url, root)}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    selfUs.set(name, (selfUs.get(name) ?? 0) + delta);
  });
  return [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: totalUs > 0 ? us / totalUs : 0 }));
}

function shortUrl(url: string, root: string): string {
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  return path.startsWith(root) ? relative(root, path) : path;
}
