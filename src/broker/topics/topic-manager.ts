// Topics and their partitions: creation, deletion, growth, config changes and retention. Metadata lives in
// topics.json (topic-store.ts); each partition is a PartitionLog under <dataDir>/<topic>-<partition>/.
// Mutations run one at a time (their store writes must not interleave); lookups are synchronous.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { BrokerConfig, Durability } from '../config.ts';
import { PartitionLog, partitionDirName, type LogFs } from '../log/index.ts';
import { effectiveTopicSettings, type TopicOverrides, type TopicSettings } from './topic-config.ts';
import { readTopicStore, writeTopicStore, type StoredTopic } from './topic-store.ts';

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export interface Partition {
  readonly topic: Topic;
  readonly index: number;
  readonly log: PartitionLog;
  /** One node, no leader changes: the epoch stays 0 for the life of the partition. */
  readonly leaderEpoch: number;
}

export interface Topic {
  readonly name: string;
  readonly id: string;
  readonly partitions: Partition[];
  overrides: TopicOverrides;
  settings: TopicSettings;
}

export interface TopicManagerOptions {
  readonly fs: LogFs;
  readonly dataDir: string;
  readonly config: BrokerConfig;
  readonly durability: Durability;
  readonly logger: Logger;
}

/** create(…, { exclusive: true }) found the name taken. */
export class TopicExistsError extends Error {
  readonly kafkaError = 'TOPIC_ALREADY_EXISTS';

  constructor(name: string) {
    super(`topic "${name}" already exists`);
    this.name = 'TopicExistsError';
  }
}

export class TopicManager {
  readonly #options: TopicManagerOptions;
  readonly #byName = new Map<string, Topic>();
  readonly #byId = new Map<string, Topic>();
  #mutations: Promise<unknown> = Promise.resolve();

  private constructor(options: TopicManagerOptions) {
    this.#options = options;
  }

  static async open(options: TopicManagerOptions): Promise<TopicManager> {
    const manager = new TopicManager(options);
    const stored = await readTopicStore(options.fs, options.dataDir);
    for (const entry of stored) {
      const topic = manager.#makeTopic(entry.name, entry.id, entry.configs);
      for (let i = 0; i < entry.partitions; i++)
        topic.partitions.push(await manager.#openPartition(topic, i));
      manager.#index(topic);
    }
    await manager.#removeStrayPartitionDirs();
    return manager;
  }

  get(name: string): Topic | undefined {
    return this.#byName.get(name);
  }

  getById(id: string): Topic | undefined {
    return this.#byId.get(id);
  }

  list(): Topic[] {
    return [...this.#byName.values()];
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.#byName.get(topic)?.partitions[index];
  }

  /**
   * Creates a topic, or returns the existing one of that name (auto-creation wants get-or-create). With
   * `exclusive`, an existing topic rejects with TopicExistsError instead: the check runs in the mutation
   * queue, so two concurrent creates of one name cannot both succeed. The caller has validated the name,
   * partition count and configs.
   */
  create(
    name: string,
    partitions: number,
    overrides: TopicOverrides,
    options: { exclusive?: boolean } = {},
  ): Promise<Topic> {
    return this.#serially(async () => {
      const existing = this.#byName.get(name);
      if (existing && options.exclusive) throw new TopicExistsError(name);
      if (existing) return existing;
      const topic = this.#makeTopic(name, newTopicId(this.#byId), overrides);
      for (let i = 0; i < partitions; i++) topic.partitions.push(await this.#openPartition(topic, i));
      this.#index(topic);
      await this.#persist();
      this.#options.logger.info({ topic: name, partitions, id: topic.id }, 'topic created');
      return topic;
    });
  }

  delete(name: string): Promise<boolean> {
    return this.#serially(async () => {
      const topic = this.#byName.get(name);
      if (!topic) return false;
      this.#byName.delete(name);
      this.#byId.delete(topic.id);
      // Metadata first: a crash after this leaves stray directories, which open() removes.
      await this.#persist();
      for (const p of topic.partitions) await p.log.delete();
      this.#options.logger.info({ topic: name }, 'topic deleted');
      return true;
    });
  }

  /** Grows a topic to `total` partitions. */
  addPartitions(name: string, total: number): Promise<void> {
    return this.#serially(async () => {
      const topic = this.#byName.get(name);
      if (!topic) return;
      while (topic.partitions.length < total) {
        topic.partitions.push(await this.#openPartition(topic, topic.partitions.length));
      }
      await this.#persist();
    });
  }

  /** Replaces a topic's overrides. Retention applies from the next check; segment sizes from the next restart. */
  setOverrides(name: string, overrides: TopicOverrides): Promise<void> {
    return this.#serially(async () => {
      const topic = this.#byName.get(name);
      if (!topic) return;
      topic.overrides = { ...overrides };
      topic.settings = effectiveTopicSettings(this.#options.config, topic.overrides);
      await this.#persist();
    });
  }

  /** Deletes segments past each topic's retention; returns how many segments went. */
  async applyRetention(nowMs: number): Promise<number> {
    let deleted = 0;
    for (const topic of this.list()) {
      const policy = {
        retentionMs: topic.settings['retention.ms'],
        retentionBytes: topic.settings['retention.bytes'],
      };
      if (policy.retentionMs < 0 && policy.retentionBytes < 0) continue;
      for (const p of topic.partitions) {
        if (p.log.failure) continue;
        const result = await p.log.applyRetention(nowMs, policy);
        if (result.deleted.length > 0) {
          deleted += result.deleted.length;
          this.#options.logger.info(
            {
              topic: topic.name,
              partition: p.index,
              segments: result.deleted.length,
              logStartOffset: String(result.logStartOffset),
            },
            'retention deleted segments',
          );
        }
      }
    }
    return deleted;
  }

  async close(): Promise<void> {
    await this.#mutations.catch(() => undefined);
    for (const topic of this.list()) for (const p of topic.partitions) await p.log.close();
  }

  #makeTopic(name: string, id: string, overrides: TopicOverrides): Topic {
    return {
      name,
      id,
      partitions: [],
      overrides,
      settings: effectiveTopicSettings(this.#options.config, overrides),
    };
  }

  #index(topic: Topic): void {
    this.#byName.set(topic.name, topic);
    this.#byId.set(topic.id, topic);
  }

  async #openPartition(topic: Topic, index: number): Promise<Partition> {
    const { fs, dataDir, durability, logger } = this.#options;
    const dir = join(dataDir, partitionDirName(topic.name, index));
    const log = await PartitionLog.open(
      fs,
      dir,
      {
        segmentBytes: topic.settings['segment.bytes'],
        segmentMs: topic.settings['segment.ms'],
        durability,
        leaderEpoch: 0,
      },
      logger.child({ topic: topic.name, partition: index }),
    );
    return { topic, index, log, leaderEpoch: 0 };
  }

  async #persist(): Promise<void> {
    const entries: StoredTopic[] = this.list().map((t) => ({
      name: t.name,
      id: t.id,
      partitions: t.partitions.length,
      configs: t.overrides,
    }));
    await writeTopicStore(this.#options.fs, this.#options.dataDir, entries);
  }

  /** Partition directories of topics that no longer exist (a crash in the middle of a delete). */
  async #removeStrayPartitionDirs(): Promise<void> {
    const { fs, dataDir, logger } = this.#options;
    for (const name of await fs.readdir(dataDir)) {
      const match = /^(.+)-(\d+)$/.exec(name);
      if (!match) continue;
      const [, topicName, partition] = match;
      const topic = this.#byName.get(topicName);
      if (topic && Number(partition) < topic.partitions.length) continue;
      const stat = await fs.stat(join(dataDir, name));
      if (!stat?.isDirectory) continue;
      logger.warn({ dir: name }, 'removing the log directory of a deleted topic');
      const log = await PartitionLog.open(fs, join(dataDir, name), { durability: { mode: 'none' } });
      await log.delete();
    }
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#mutations.then(task, task);
    this.#mutations = run.catch(() => undefined);
    return run;
  }
}

function newTopicId(taken: ReadonlyMap<string, Topic>): string {
  for (;;) {
    const id = randomUUID();
    if (id !== ZERO_UUID && !taken.has(id)) return id;
  }
}
