// The broker an integration test runs against, so one suite proves the same behaviour on both:
//
//   (default)                    Sluice's embedded broker, in-process, on an ephemeral port and a temp dir
//   SLUICE_TEST_TARGET=kafka     a 1-node Apache Kafka that scripts/kafka starts (and stops) for the file
//   KAFKA_BOOTSTRAP=h:p[,h:p]    an Apache Kafka cluster that is already running (topics the tests create
//                                there are deleted by stop(); give them unique names with uniqueTopic)
//
// Tests talk to a target through real clients and the wire protocol only, never the broker's internals.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { startBroker } from '../../src/broker/broker.ts';
import { ZERO_UUID } from '../../src/protocol/codec-runtime.ts';
import { errorName } from '../../src/protocol/error-codes.ts';
import { CreateTopicsApi, DeleteTopicsApi } from '../../src/protocol/messages/index.ts';
import { partitionsLed, requestMetadata } from '../../scripts/kafka/request.ts';
import { tempDir } from './broker.ts';
import { firstAddress, startKafkaCluster } from './kafka-cluster.ts';
import { RawClient } from './raw-client.ts';
import { waitFor } from './wait-for.ts';

export type TargetKind = 'sluice' | 'kafka';

export interface Target {
  /** `host:port[,host:port...]` for clients. */
  readonly bootstrap: string;
  readonly kind: TargetKind;
  /**
   * Creates a topic (default replication factor; `configs` as topic settings) and resolves once every
   * partition has a leader, so clients can use it at once. Throws naming the broker's error.
   */
  createTopic(name: string, partitions: number, configs?: Record<string, string>): Promise<void>;
  /** Stops what startTarget started (for an existing cluster: deletes the topics created through it). */
  stop(): Promise<void>;
}

/** A topic name no other test or earlier run uses: `<prefix>-<random hex>`. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** What the environment asks for (see the top of this file); throws on a value it does not know. */
export function requestedTarget(): { kind: TargetKind; existing?: string } {
  const existing = process.env.KAFKA_BOOTSTRAP?.trim();
  if (existing) {
    firstAddress(existing);
    return { kind: 'kafka', existing };
  }
  const asked = process.env.SLUICE_TEST_TARGET?.trim() || 'sluice';
  if (asked !== 'sluice' && asked !== 'kafka') {
    throw new Error(`SLUICE_TEST_TARGET must be "sluice" or "kafka", got "${asked}"`);
  }
  return { kind: asked };
}

export async function startTarget(): Promise<Target> {
  const requested = requestedTarget();
  if (requested.existing !== undefined) {
    const created: string[] = [];
    return target('kafka', requested.existing, created, async () => {
      if (created.length > 0) await deleteTopics(requested.existing!, created);
    });
  }
  if (requested.kind === 'kafka') {
    const cluster = await startKafkaCluster({ brokers: 1 });
    return target('kafka', cluster.bootstrap, [], () => cluster.stop());
  }
  const dataDir = await tempDir('sluice-target-');
  const broker = await startBroker({ port: 0, dataDir, logLevel: 'silent', durability: 'none' });
  return target('sluice', broker.bootstrap, [], async () => {
    await broker.close();
    await rm(dataDir, { recursive: true, force: true });
  });
}

function target(kind: TargetKind, bootstrap: string, created: string[], close: () => Promise<void>): Target {
  let stopped: Promise<void> | undefined;
  return {
    bootstrap,
    kind,
    async createTopic(name, partitions, configs = {}) {
      await createTopicOn(bootstrap, name, partitions, configs);
      created.push(name);
    },
    stop() {
      stopped ??= close();
      return stopped;
    },
  };
}

/**
 * Creates a topic on the broker at `bootstrap` (default replication factor; `configs` as topic settings)
 * and resolves once every partition has a leader that serves it. Throws naming the broker's error.
 */
export async function createTopicOn(
  bootstrap: string,
  name: string,
  partitions: number,
  configs: Record<string, string> = {},
): Promise<void> {
  await withClient(bootstrap, async (client) => {
    const res = await client.request(CreateTopicsApi, 7, {
      topics: [
        {
          name,
          numPartitions: partitions,
          replicationFactor: -1,
          assignments: [],
          configs: Object.entries(configs).map(([key, value]) => ({ name: key, value })),
        },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    const [result] = res.topics;
    if (result.errorCode !== 0) {
      throw new Error(
        `creating topic ${name} on ${bootstrap} failed: ${errorName(result.errorCode)}` +
          (result.errorMessage ? ` (${result.errorMessage})` : ''),
      );
    }
  });
  // Kafka's brokers list a new topic, and then take up its leadership, a moment after the controller
  // made it.
  const { host, port } = firstAddress(bootstrap);
  await waitFor(
    async () => {
      const md = await requestMetadata(host, port, [name]).catch(() => undefined);
      return md?.topics[0]?.partitions.length === partitions && (await partitionsLed(host, port, [name]));
    },
    {
      what: `topic ${name} to have a serving leader for each of its ${partitions} partitions`,
      everyMs: 50,
    },
  );
}

async function withClient<T>(bootstrap: string, use: (client: RawClient) => Promise<T>): Promise<T> {
  const { host, port } = firstAddress(bootstrap);
  const client = await RawClient.connect(port, host);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

async function deleteTopics(bootstrap: string, names: string[]): Promise<void> {
  await withClient(bootstrap, async (client) => {
    const res = await client.request(DeleteTopicsApi, 6, {
      topics: names.map((name) => ({ name, topicId: ZERO_UUID })),
      topicNames: [],
      timeoutMs: 30_000,
    });
    const failed = res.responses.filter((r) => r.errorCode !== 0);
    if (failed.length > 0) {
      throw new Error(
        `deleting test topics on ${bootstrap}: ${failed.map((r) => `${r.name}: ${errorName(r.errorCode)}`).join(', ')}`,
      );
    }
  });
}
