// Durable topic metadata (names, ids, partition counts, config overrides) in one small JSON file, replaced
// atomically on every change: write a temporary file, fsync it, rename it over the old one, fsync the
// directory. A crash leaves either the old file or the new one, never a mix.
import { join } from 'node:path';
import type { LogFs } from '../log/fs.ts';
import type { TopicOverrides } from './topic-config.ts';

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
  const stat = await fs.stat(path);
  if (!stat) return [];
  const file = await fs.open(path, 'read');
  let text: string;
  try {
    const bytes = Buffer.alloc(stat.size);
    await file.read(bytes, 0);
    text = bytes.toString('utf8');
  } finally {
    await file.close();
  }
  let parsed: StoreFile;
  try {
    parsed = JSON.parse(text) as StoreFile;
  } catch (err) {
    throw new TopicStoreError(`${path} is not valid JSON (${(err as Error).message}); refusing to start`);
  }
  if (parsed.formatVersion !== TOPIC_STORE_FORMAT_VERSION || !Array.isArray(parsed.topics)) {
    throw new TopicStoreError(
      `${path} has format version ${String(parsed.formatVersion)}; this broker reads version ${TOPIC_STORE_FORMAT_VERSION}`,
    );
  }
  return parsed.topics;
}

export async function writeTopicStore(
  fs: LogFs,
  dataDir: string,
  topics: readonly StoredTopic[],
): Promise<void> {
  const path = join(dataDir, FILE_NAME);
  const tmp = `${path}.tmp`;
  const body: StoreFile = { formatVersion: TOPIC_STORE_FORMAT_VERSION, topics: [...topics] };
  const file = await fs.open(tmp, 'create');
  try {
    await file.truncate(0);
    await file.write([Buffer.from(JSON.stringify(body, null, 2) + '\n')], 0);
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(tmp, path);
  await fs.syncDir(dataDir);
}
