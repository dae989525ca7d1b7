// A bus an integration test can take away and bring back on the same address, so the same outage test runs
// on both targets (see target.ts for SLUICE_TEST_TARGET / KAFKA_BOOTSTRAP):
//
//   embedded (default)           `sluice broker` as a child process (broker-process.ts: `npm run build` first),
//                                restarted on the same port and data directory
//   SLUICE_TEST_TARGET=kafka     a 1-node Apache Kafka (kafka-cluster.ts) whose JVM is stopped and restarted
//                                on the same ports and data
//
// An existing cluster (KAFKA_BOOTSTRAP) cannot be stopped by a test: startStoppableBus throws for it.
import { rm } from 'node:fs/promises';
import type { TestContext } from 'node:test';
import { partitionsLed } from '../../scripts/kafka/request.ts';
import { tempDir } from './broker.ts';
import { startBrokerProcess, type BrokerProcess } from './broker-process.ts';
import { firstAddress, startKafkaCluster } from './kafka-cluster.ts';
import { createTopicOn, requestedTarget, type TargetKind } from './target.ts';
import { waitFor } from './wait-for.ts';

export interface StoppableBus {
  /** `127.0.0.1:<port>`: the same before and after a restart. */
  readonly bootstrap: string;
  readonly port: number;
  readonly kind: TargetKind;
  /** Whether the bus is up (between start() and stop()). */
  readonly running: boolean;
  /** Creates a topic and resolves once each of its partitions has a serving leader. */
  createTopic(name: string, partitions: number, configs?: Record<string, string>): Promise<void>;
  /**
   * Takes the bus down and resolves once its process has exited. SIGTERM (the default) is a clean
   * shutdown; SIGKILL a crash (written data survives it in the page cache: the machine does not crash).
   */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /**
   * Starts the bus again on the same address and data; resolves once it serves every topic created
   * through createTopic again (each partition led), which on Apache Kafka takes seconds.
   */
  start(): Promise<void>;
}

/** Starts a stoppable bus for the target the environment asks for; it is torn down when `t` ends. */
export async function startStoppableBus(t: TestContext): Promise<StoppableBus> {
  const requested = requestedTarget();
  if (requested.existing !== undefined) {
    throw new Error(
      `KAFKA_BOOTSTRAP=${requested.existing} is a cluster the tests do not own and cannot stop: ` +
        'use SLUICE_TEST_TARGET=kafka for the tests that stop the bus',
    );
  }
  return requested.kind === 'kafka' ? startKafkaBus(t) : startEmbeddedBus(t);
}

async function startEmbeddedBus(t: TestContext): Promise<StoppableBus> {
  const dataDir = await tempDir('sluice-stoppable-bus-');
  let broker: BrokerProcess | undefined;
  // Whichever broker process is current must be gone before its directory is removed.
  t.after(async () => {
    await broker?.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });
  broker = await startBrokerProcess(t, { dataDir, durability: 'none' });
  const port = broker.port;
  const bootstrap = `127.0.0.1:${port}`;
  const topics: string[] = [];
  return {
    bootstrap,
    port,
    kind: 'sluice',
    get running() {
      return broker !== undefined;
    },
    async createTopic(name, partitions, configs) {
      await createTopicOn(bootstrap, name, partitions, configs);
      topics.push(name);
    },
    async stop(signal = 'SIGTERM') {
      if (!broker) throw new Error('the bus is already stopped');
      const stopping = broker;
      broker = undefined;
      await stopping.kill(signal);
    },
    async start() {
      if (broker) throw new Error(`the bus is already running on ${bootstrap}`);
      broker = await startBrokerProcess(t, {
        dataDir,
        durability: 'none',
        args: ['--port', String(port)],
      });
      await waitServed(bootstrap, topics);
    },
  };
}

async function startKafkaBus(t: TestContext): Promise<StoppableBus> {
  const cluster = await startKafkaCluster({ brokers: 1, t });
  const [node] = cluster.brokers;
  const bootstrap = cluster.bootstrap;
  const topics: string[] = [];
  return {
    bootstrap,
    port: node.port,
    kind: 'kafka',
    get running() {
      return node.running;
    },
    async createTopic(name, partitions, configs) {
      await createTopicOn(bootstrap, name, partitions, configs);
      topics.push(name);
    },
    async stop(signal = 'SIGTERM') {
      if (!node.running) throw new Error('the bus is already stopped');
      await cluster.kill(node.nodeId, signal);
    },
    async start() {
      await cluster.restart(node.nodeId);
      await waitServed(bootstrap, topics);
    },
  };
}

/** After a restart: every partition of `topics` has a leader that answers as leader. */
async function waitServed(bootstrap: string, topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  const { host, port } = firstAddress(bootstrap);
  await waitFor(() => partitionsLed(host, port, topics), {
    what: `${topics.join(', ')} served again by ${bootstrap}`,
    deadlineMs: 180_000,
    everyMs: 100,
  });
}
