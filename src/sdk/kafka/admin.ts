// The bus admin: topics ensured to exist, and a fresh metadata read as a liveness probe.
import { clientOptions, withDeadline, type BusConfig } from './client-options.ts';
import { BusError, describeError } from './errors.ts';
import { Admin } from './platformatic.ts';

export interface BusAdmin {
  /** Creates the topics that do not exist yet (replication factor: the broker's default). */
  createTopics(
    topics: { name: string; partitions: number; configs?: Record<string, string> }[],
  ): Promise<void>;
  /**
   * A fresh Metadata request (not the client's cache): the brokers the cluster lists and the partition
   * count of each of `topics` it knows. A liveness probe for health checks; rejects with a BusError.
   */
  metadata(topics?: string[]): Promise<{ brokers: number; topics: Record<string, number> }>;
  close(): Promise<void>;
}

export function createBusAdmin(bus: BusConfig): BusAdmin {
  const base = clientOptions(bus, 'admin');
  const admin = new Admin(base);
  return {
    async createTopics(topics) {
      for (const t of topics) {
        if (typeof t.name !== 'string' || t.name.length === 0)
          throw new TypeError('topic name must be non-empty');
        if (!Number.isInteger(t.partitions) || t.partitions < 1) {
          throw new TypeError(`topic ${t.name}: partitions must be a positive integer, got ${t.partitions}`);
        }
      }
      // One request per topic: partitions and configs are per request in platformatic's API.
      for (const t of topics) {
        try {
          await withDeadline(
            admin.createTopics({
              topics: [t.name],
              partitions: t.partitions,
              replicas: -1,
              configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
            }),
            base.timeout * 2,
            `creating topic ${t.name}`,
          );
        } catch (error) {
          if (
            describeError(error).includes('TOPIC_ALREADY_EXISTS') ||
            /already exists/i.test(describeError(error))
          ) {
            continue;
          }
          throw BusError.from(`creating topic ${t.name}`, error);
        }
      }
    },
    async metadata(topics = []) {
      try {
        const md = await withDeadline(
          admin.metadata({ topics, forceUpdate: true, retries: 0 }),
          base.timeout,
          'reading the cluster metadata',
        );
        const counts: Record<string, number> = {};
        for (const [name, topic] of md.topics) counts[name] = topic.partitionsCount;
        return { brokers: md.brokers.size, topics: counts };
      } catch (error) {
        throw BusError.from('reading the cluster metadata', error);
      }
    },
    async close() {
      await withDeadline(admin.close(), base.timeout, 'closing the admin client').catch(() => undefined);
    },
  };
}
