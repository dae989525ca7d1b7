// Generates src/protocol/messages/ from Apache Kafka's message definitions (../shared/kafka-messages).
//
//   npm run generate                  write the modules (and remove stale generated ones)
//   npm run generate:check            regenerate in memory; exit 1 listing every file that differs
//   ... -- --messages-dir <dir>       read definitions from elsewhere
//   ... -- --out-dir <dir>            write (or check) another folder
//
// Output is formatted with Prettier and the repository's .prettierrc.json, so it is byte-for-byte
// deterministic and passes `prettier --check` although the folder is excluded from formatting.
import { existsSync, readdirSync, readFileSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, type Options } from 'prettier';
import {
  BANNER,
  emitApiModule,
  emitIndex,
  emitStandaloneModule,
  kebabCase,
  type GeneratedFile,
  type IndexEntry,
} from './protocol-gen/emit-module.ts';
import { parseMessage, type MessageModel } from './protocol-gen/model.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Args {
  messagesDir: string;
  outDir: string;
  check: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    messagesDir: resolve(repoRoot, '../shared/kafka-messages'),
    outDir: resolve(repoRoot, 'src/protocol/messages'),
    check: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return resolve(v);
    };
    if (arg === '--check') args.check = true;
    else if (arg === '--messages-dir') args.messagesDir = value();
    else if (arg === '--out-dir') args.outDir = value();
    else throw new UsageError(`unknown argument ${arg}`);
  }
  return args;
}

class UsageError extends Error {}

/** Reads every definition and returns the generated files, formatted, sorted by name. */
export async function generate(messagesDir: string): Promise<GeneratedFile[]> {
  if (!existsSync(messagesDir)) {
    throw new UsageError(
      `messages directory not found: ${messagesDir}\n` +
        "(it should hold Apache Kafka's message definitions, *.json; pass --messages-dir to use another one)",
    );
  }
  const names = readdirSync(messagesDir)
    .filter((n) => n.endsWith('.json'))
    .sort();
  if (names.length === 0) throw new UsageError(`no *.json message definitions in ${messagesDir}`);
  const models = names.map((n) => parseMessage(readFileSync(join(messagesDir, n), 'utf8'), n));

  const pairs = new Map<number, { request?: MessageModel; response?: MessageModel }>();
  const files: GeneratedFile[] = [];
  const entries: IndexEntry[] = [];
  for (const model of models) {
    if (model.type === 'request' || model.type === 'response') {
      const pair = pairs.get(model.apiKey as number) ?? {};
      if (pair[model.type])
        throw new Error(
          `API key ${model.apiKey} has two ${model.type}s: ${pair[model.type]?.sourceFile} and ${model.sourceFile}`,
        );
      pair[model.type] = model;
      pairs.set(model.apiKey as number, pair);
    } else {
      const file = emitStandaloneModule(model);
      files.push(file);
      entries.push({ fileName: file.fileName, codec: `${model.name}Codec` });
    }
  }
  for (const [apiKey, { request, response }] of pairs) {
    if (!request || !response)
      throw new Error(
        `API key ${apiKey} has a ${request ? 'request' : 'response'} but no ${request ? 'response' : 'request'}`,
      );
    const file = emitApiModule(request, response);
    files.push(file);
    entries.push({
      fileName: file.fileName,
      api: { name: `${request.name.replace(/Request$/, '')}Api`, apiKey },
    });
  }
  files.push(emitIndex(entries));

  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.fileName)) throw new Error(`two modules would be written to ${f.fileName}`);
    seen.add(f.fileName);
  }
  const prettierrc = JSON.parse(readFileSync(join(repoRoot, '.prettierrc.json'), 'utf8')) as Options;
  const formatted: GeneratedFile[] = [];
  for (const f of files.sort((a, b) => a.fileName.localeCompare(b.fileName))) {
    try {
      formatted.push({
        fileName: f.fileName,
        code: await format(f.code, { ...prettierrc, parser: 'typescript' }),
      });
    } catch (err) {
      throw new Error(`generated ${f.fileName} does not parse (a generator bug): ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  return formatted;
}

/** Generated files present in dir (recognised by their banner). */
function existingGenerated(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.ts') && readFileSync(join(dir, n), 'utf8').startsWith(BANNER))
    .sort();
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const files = await generate(args.messagesDir);
  const stale = existingGenerated(args.outDir).filter((n) => !files.some((f) => f.fileName === n));
  const shown = relative(process.cwd(), args.outDir) || '.';
  if (args.check) {
    const differing = files
      .filter((f) => {
        const path = join(args.outDir, f.fileName);
        return !existsSync(path) || readFileSync(path, 'utf8') !== f.code;
      })
      .map((f) =>
        existsSync(join(args.outDir, f.fileName)) ? `differs: ${f.fileName}` : `missing: ${f.fileName}`,
      );
    differing.push(...stale.map((n) => `stale:   ${n}`));
    if (differing.length > 0) {
      process.stderr.write(
        `${shown} is not what scripts/generate-protocol.ts generates (run npm run generate):\n` +
          differing.map((d) => `  ${d}\n`).join(''),
      );
      return 1;
    }
    process.stdout.write(`${shown}: all ${files.length} generated files are up to date\n`);
    return 0;
  }
  mkdirSync(args.outDir, { recursive: true });
  let written = 0;
  for (const f of files) {
    const path = join(args.outDir, f.fileName);
    if (existsSync(path) && readFileSync(path, 'utf8') === f.code) continue;
    writeFileSync(path, f.code);
    written++;
  }
  for (const n of stale) rmSync(join(args.outDir, n));
  process.stdout.write(
    `${shown}: ${files.length} generated files, ${written} written, ${stale.length} stale removed` +
      ` (modules named by kebab-case, e.g. ${kebabCase('ApiVersions')}.ts)\n`,
  );
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`generate-protocol: ${message}\n`);
      process.exitCode = err instanceof UsageError ? 2 : 1;
    },
  );
}
