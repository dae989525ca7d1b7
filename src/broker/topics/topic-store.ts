// Durable topic metadata (names, ids, partition counts, config overrides) in one small JSON file, replaced
// atomically on every change: write a temporary file, fsync it, rename it over the old one, fsync the
// directory. A crash leaves either the old file or the new one, never a mix.
import { join } from 'node:path';
import type { LogFs } from '../log/fs.ts';
import { readJsonFile, writeJsonFile } from '../log/small-files.ts';
import { topicConfigProblem, type TopicOverrides } from './topic-config.ts';
import { topicNameProblem } from './topic-name.ts';

export const TOPIC_STORE_FORMAT_VERSION = 1;
const FILE_NAME = 'topics.json';

export interface StoredTopic {
  readonly name: string;
  /** Canonical UUID string; never the zero UUID. */
  readonly id: string;
  readonly partitions: number;
  readonly configs: TopicOverrides;
}

interface StoreFile {
  formatVersion: number;
  topics: StoredTopic[];
}

export class TopicStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicStoreError';
  }
}

export async function readTopicStore(fs: LogFs, dataDir: string): Promise<StoredTopic[]> {
  const path = join(dataDir, FILE_NAME);
  let parsed: StoreFile | undefined;
  try {
    parsed = (await readJsonFile(fs, path)) as StoreFile | undefined;
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw new TopicStoreError(`${path} is not valid JSON (${err.message}); refusing to start`);
  }
  if (parsed === undefined) return [];
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TopicStoreError(`${path} does not hold a JSON object; refusing to start`);
  }
  if (parsed.formatVersion !== TOPIC_STORE_FORMAT_VERSION) {
    throw new TopicStoreError(
      `${path} has format version ${String(parsed.formatVersion)}; this broker reads version ${TOPIC_STORE_FORMAT_VERSION}`,
    );
  }
  if (!Array.isArray(parsed.topics))
    throw new TopicStoreError(`${path} has no "topics" list; refusing to start`);
  const names = new Set<string>();
  const ids = new Set<string>();
  for (const [i, entry] of (parsed.topics as unknown[]).entries()) {
    const problem = storedTopicProblem(entry);
    if (problem !== undefined)
      throw new TopicStoreError(`${path}: topics[${i}] ${problem}; refusing to start`);
    const { name, id } = entry as StoredTopic;
    if (names.has(name) || ids.has(id)) {
      throw new TopicStoreError(
        `${path}: topics[${i}] repeats the name or id of an earlier topic; refusing to start`,
      );
    }
    names.add(name);
    ids.add(id);
  }
  return parsed.topics;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What is wrong with one entry of the file (hand-edited or damaged), so startup fails saying where. */
function storedTopicProblem(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null) return 'is not an object';
  const e = entry as Record<string, unknown>;
  if (typeof e.name !== 'string' || topicNameProblem(e.name) !== undefined) return 'has no valid "name"';
  if (typeof e.id !== 'string' || !UUID.test(e.id) || /^[0-]+$/.test(e.id))
    return `("${e.name}") has no valid "id"`;
  if (!Number.isSafeInteger(e.partitions) || (e.partitions as number) < 1) {
    return `("${e.name}") has no valid "partitions" count`;
  }
  if (typeof e.configs !== 'object' || e.configs === null || Array.isArray(e.configs)) {
    return `("${e.name}") has no "configs" object`;
  }
  for (const [key, value] of Object.entries(e.configs)) {
    const problem =
      typeof value === 'string' ? topicConfigProblem(key, value) : `config ${key} is not a string`;
    if (problem !== undefined) return `("${e.name}"): ${problem}`;
  }
  return undefined;
}

export async function writeTopicStore(
  fs: LogFs,
  dataDir: string,
  topics: readonly StoredTopic[],
): Promise<void> {
  const body: StoreFile = { formatVersion: TOPIC_STORE_FORMAT_VERSION, topics: [...topics] };
  await writeJsonFile(fs, join(dataDir, FILE_NAME), body, 2);
}
