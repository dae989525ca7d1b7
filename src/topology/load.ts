// Reads a topology file (YAML or JSON), validates it with the zod schema and the cross-reference checks,
// and reports every problem on its own line: file, line, path inside the file, and what was expected.
// Relative paths in the file are resolved against the file's directory.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError } from '../config/errors.ts';
import { crossCheck } from './cross-check.ts';
import { DEFAULT_TOPOLOGY } from './default.ts';
import { formatPath, problemFromIssue, valueAt, type Problem, type TopologyPath } from './problems.ts';
import { topology as topologySchema, type Topology } from './schema.ts';

export class TopologyError extends ConfigError {
  /** One line per problem: `file:line: path: expected …, got …`. */
  readonly problems: readonly string[];
  constructor(source: string, problems: string[]) {
    super(`invalid topology in ${source}:\n  ${problems.join('\n  ')}`);
    this.name = 'TopologyError';
    this.problems = problems;
  }
}

/** The line of the deepest node of `at` present in the document (1-based), if the document has it. */
function lineOf(doc: Document | undefined, lines: LineCounter, at: TopologyPath): number | undefined {
  if (doc === undefined) return undefined;
  for (let depth = at.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(at.slice(0, depth), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range !== undefined) return lines.linePos(range[0]).line;
  }
  return undefined;
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A setting holding a path (relative to the topology file): `rulesFile`, `dataDir`, `store.path`, … */
function isPathKey(key: string): boolean {
  return key === 'path' || /(File|Dir|Path)$/.test(key);
}

function resolvePaths(value: unknown, baseDir: string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolvePaths(v, baseDir));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>))
    out[key] = typeof v === 'string' && isPathKey(key) ? path.resolve(baseDir, v) : resolvePaths(v, baseDir);
  return out;
}

/**
 * Validates already-parsed topology data. `source` names it in errors; `baseDir` anchors relative paths.
 * Without a document (data built in code) problems carry no line numbers.
 */
export function parseTopology(
  data: unknown,
  source: string,
  baseDir: string,
  doc?: { document: Document; lines: LineCounter },
): Topology {
  const describe = (problems: Problem[]): TopologyError =>
    new TopologyError(
      source,
      problems.map((p) => {
        const line = doc === undefined ? undefined : lineOf(doc.document, doc.lines, p.path);
        const where = line === undefined ? source : `${source}:${line}`;
        return `${where}: ${formatPath(p.path)}: expected ${p.expected}, got ${shown(valueAt(data, p.path))}`;
      }),
    );
  const parsed = topologySchema.safeParse(data ?? {});
  if (!parsed.success) throw describe(parsed.error.issues.map(problemFromIssue));
  const topology = resolvePaths(parsed.data, baseDir) as Topology;
  const problems = crossCheck(topology);
  if (problems.length > 0) throw describe(problems);
  return topology;
}

export function parseTopologyText(text: string, source: string, baseDir: string): Topology {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (document.errors.length > 0) {
    const first = document.errors[0];
    const line = first?.linePos?.[0]?.line;
    throw new TopologyError(source, [
      `${line === undefined ? source : `${source}:${line}`}: not valid YAML or JSON: ${first?.message.split('\n')[0] ?? ''}`,
    ]);
  }
  const data: unknown = document.toJS();
  if (data !== null && data !== undefined && (typeof data !== 'object' || Array.isArray(data)))
    throw new TopologyError(source, [`${source}: (top level): expected a mapping, got ${shown(data)}`]);
  return parseTopology(data, source, baseDir, { document, lines });
}

/** Loads `file`, or the built-in default topology (relative paths against the working directory). */
export async function loadTopology(file?: string): Promise<{ topology: Topology; source: string }> {
  if (file === undefined)
    return {
      topology: parseTopology(DEFAULT_TOPOLOGY, 'the built-in default topology', process.cwd()),
      source: 'the built-in default topology',
    };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read topology file ${file}: ${(err as Error).message}`);
  }
  return { topology: parseTopologyText(text, file, path.dirname(path.resolve(file))), source: file };
}
