// Real Apache Kafka for tests: a 1- or 3-node KRaft cluster on loopback (scripts/kafka/), stopped and
// removed when the test ends. The first use fetches the jars with Maven (`npm run kafka:fetch` does it
// ahead of time); Java 17+ must be installed.
import type { TestContext } from 'node:test';
import {
  startKafkaCluster as startCluster,
  type KafkaCluster,
  type KafkaClusterOptions,
} from '../../scripts/kafka/cluster.ts';
import { requestMetadata } from '../../scripts/kafka/request.ts';
import type { MetadataResponse } from '../../src/protocol/messages/index.ts';
import { waitFor } from './wait-for.ts';

export type { KafkaBroker, KafkaCluster } from '../../scripts/kafka/cluster.ts';

export interface TestKafkaOptions extends Partial<KafkaClusterOptions> {
  brokers: 1 | 3;
  /**
   * When given, the cluster is stopped when this test ends. node:test runs `after` hooks first in, first
   * out, so this one runs before those of clients made later: close such clients first, or stop yourself.
   */
  t?: TestContext;
}

/** Starts Apache Kafka; resolves once every node serves Metadata listing every node. */
export async function startKafkaCluster(options: TestKafkaOptions): Promise<KafkaCluster> {
  const { t, ...rest } = options;
  const cluster = await startCluster(rest);
  t?.after(() => cluster.stop());
  return cluster;
}

/** host and port of the first entry of a `host:port,...` bootstrap list. */
export function firstAddress(bootstrap: string): { host: string; port: number } {
  const [first] = bootstrap.split(',');
  const colon = first.lastIndexOf(':');
  const port = Number(first.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`"${first}" in the bootstrap list "${bootstrap}" is not host:port`);
  }
  return { host: first.slice(0, colon), port };
}

/** Metadata for `topics` from the first running broker that answers. */
export async function clusterMetadata(cluster: KafkaCluster, topics: string[]): Promise<MetadataResponse> {
  let last: unknown;
  for (const broker of cluster.brokers.filter((b) => b.running)) {
    try {
      return await requestMetadata('127.0.0.1', broker.port, topics);
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`no running Kafka broker answered Metadata: ${String(last)}`);
}

/** Waits until every partition of `topic` has a leader and an ISR of exactly `size` replicas. */
export async function waitForIsr(cluster: KafkaCluster, topic: string, size: number): Promise<void> {
  await waitFor(
    async () => {
      const md = await clusterMetadata(cluster, [topic]).catch(() => undefined);
      const t = md?.topics[0];
      return (
        t !== undefined &&
        t.errorCode === 0 &&
        t.partitions.length > 0 &&
        t.partitions.every((p) => p.leaderId >= 0 && p.isrNodes.length === size)
      );
    },
    { what: `every partition of ${topic} with an ISR of ${size}`, deadlineMs: 180_000, everyMs: 200 },
  );
}
