// Starts a real Apache Kafka cluster on loopback for tests and benchmarks: 1 or 3 nodes in KRaft mode,
// each both broker and controller, every node a voter of the controller quorum. Storage is formatted
// fresh, the call returns once every node serves Metadata listing every node, and stop() kills the JVMs
// and removes the data.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HOST,
  JVM_FLAGS,
  LOG4J2_PROPERTIES,
  freePorts,
  heapOptions,
  nodeProperties,
  randomClusterId,
  type KafkaSettings,
  type NodeAddress,
} from './config.ts';
import { ensureKafka, run, type KafkaDistribution } from './distribution.ts';
import { requestMetadata } from './request.ts';
import { NodeProcess, tail, type NodeExit } from './node-process.ts';

export interface KafkaClusterOptions {
  /** How many nodes (each broker and controller): 1, or 3 for replication. */
  brokers: number;
  /** server.properties settings for every node, over the defaults in config.ts. */
  config?: KafkaSettings;
  /** Where data and logs go; default a fresh temporary folder, which stop() removes. */
  dir?: string;
  /** How long startup (and each restart) may take; default 180 s, for a loaded 2-core machine. */
  startDeadlineMs?: number;
  /** Progress lines (fetching, formatting, starting). */
  log?: (line: string) => void;
}

export interface KafkaBroker extends NodeAddress {
  /** The JVM's pid; undefined while the node is down. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** The node's folder: data/, server.properties, server.log, stdout.log. */
  readonly dir: string;
}

export interface KafkaCluster {
  /** Every node's host:port, comma-separated. */
  readonly bootstrap: string;
  readonly brokers: readonly KafkaBroker[];
  readonly clusterId: string;
  readonly version: string;
  readonly dir: string;
  /** Sends `signal` (default SIGKILL) to a node's JVM and waits until it has exited. */
  kill(nodeId: number, signal?: NodeJS.Signals): Promise<NodeExit>;
  /** Starts a stopped node again on the same ports and data; resolves when it serves the cluster's metadata. */
  restart(nodeId: number): Promise<void>;
  /** Kills every node and removes the folder if this call created it. Safe to call twice. */
  stop(): Promise<void>;
}

const MAX_NODES = 5;
const KILL_DEADLINE_MS = 60_000;

class Node implements KafkaBroker {
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly dir: string;
  process: NodeProcess | undefined;

  constructor(address: NodeAddress, dir: string) {
    this.nodeId = address.nodeId;
    this.port = address.port;
    this.controllerPort = address.controllerPort;
    this.dir = dir;
  }

  get pid(): number | undefined {
    return this.running ? this.process?.pid : undefined;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  get properties(): string {
    return join(this.dir, 'server.properties');
  }

  get output(): string {
    return join(this.dir, 'stdout.log');
  }
}

function jvmArgs(dist: KafkaDistribution, node: Node, log4jConfig: string, heap: string[]): string[] {
  return [
    ...heap,
    ...JVM_FLAGS,
    `-Dlog4j2.configurationFile=${log4jConfig}`,
    `-Dkafka.logs.dir=${node.dir}`,
    '-cp',
    dist.classpath,
  ];
}

async function formatStorage(dist: KafkaDistribution, node: Node, clusterId: string, log4j: string) {
  const args = [
    ...jvmArgs(dist, node, log4j, ['-Xmx256m']),
    'kafka.tools.StorageTool',
    'format',
    '--cluster-id',
    clusterId,
    '--config',
    node.properties,
  ];
  const result = await run(dist.java, args, { deadlineMs: 120_000 });
  if (result.code !== 0) {
    throw new Error(
      `kafka-storage format of node ${node.nodeId} failed (exit ${result.code}):\n${result.stdout}${result.stderr}`,
    );
  }
}

export async function startKafkaCluster(options: KafkaClusterOptions): Promise<KafkaCluster> {
  const count = options.brokers;
  if (!Number.isInteger(count) || count < 1 || count > MAX_NODES) {
    throw new Error(`brokers must be a whole number from 1 to ${MAX_NODES}, got ${String(count)}`);
  }
  const log = options.log ?? (() => undefined);
  const deadlineMs = options.startDeadlineMs ?? 180_000;
  const dist = await ensureKafka({ log });
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'sluice-kafka-')));
  const nodes: Node[] = [];
  let stopped = false;

  const stop = async (): Promise<void> => {
    stopped = true;
    await Promise.all(nodes.map(async (n) => n.process?.kill('SIGKILL', KILL_DEADLINE_MS)));
    if (ownsDir) await rm(dir, { recursive: true, force: true });
  };

  const describeFailure = (node: Node): string =>
    `node ${node.nodeId} (${HOST}:${node.port}) output, ${node.output}:\n${tail(node.output)}\n` +
    `(full log: ${join(node.dir, 'server.log')})`;

  const launch = async (node: Node): Promise<void> => {
    const args = [...jvmArgs(dist, node, log4jConfig, heapOptions()), 'kafka.Kafka', node.properties];
    node.process = await NodeProcess.spawn(dist.java, args, node.output);
  };

  // Nodes whose exit means the wait failed (not those a test killed on purpose).
  const waitingFor = new Set<number>();
  /** Every running node serves Metadata that lists every running node (registered and unfenced). */
  const waitServing = async (what: string): Promise<void> => {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const running = nodes.filter((n) => n.running);
      const dead = nodes.find((n) => n.process !== undefined && !n.running && waitingFor.has(n.nodeId));
      if (dead) throw new Error(`Kafka ${what}: node ${dead.nodeId} exited.\n${describeFailure(dead)}`);
      const answers = await Promise.all(
        running.map((n) => requestMetadata(HOST, n.port, [], 2000).catch(() => undefined)),
      );
      const serving = answers.every(
        (md) => md !== undefined && running.every((n) => md.brokers.some((b) => b.nodeId === n.nodeId)),
      );
      if (serving) return;
      if (Date.now() > deadline) {
        throw new Error(
          `Kafka ${what}: not serving metadata after ${deadlineMs} ms.\n` +
            running.map(describeFailure).join('\n'),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const log4jConfig = join(dir, 'log4j2.properties');
  const clusterId = randomClusterId();
  try {
    const ports = await freePorts(2 * count);
    const addresses = Array.from({ length: count }, (_, i) => ({
      nodeId: i + 1,
      port: ports[2 * i],
      controllerPort: ports[2 * i + 1],
    }));
    await writeFile(log4jConfig, LOG4J2_PROPERTIES);
    for (const address of addresses) {
      const node = new Node(address, join(dir, `node-${address.nodeId}`));
      nodes.push(node);
      await mkdir(join(node.dir, 'data'), { recursive: true });
      await writeFile(
        node.properties,
        nodeProperties(address, addresses, join(node.dir, 'data'), options.config),
      );
    }
    log(`formatting ${count} Kafka ${dist.version} node(s) in ${dir}`);
    await Promise.all(nodes.map((n) => formatStorage(dist, n, clusterId, log4jConfig)));
    for (const n of nodes) waitingFor.add(n.nodeId);
    await Promise.all(nodes.map(launch));
    log(`started node(s) ${nodes.map((n) => `${n.nodeId}=pid ${n.pid}`).join(', ')}; waiting for metadata`);
    await waitServing('startup');
    waitingFor.clear();
  } catch (err) {
    await stop();
    throw err;
  }

  const nodeById = (nodeId: number): Node => {
    const node = nodes.find((n) => n.nodeId === nodeId);
    if (!node)
      throw new Error(`no Kafka node ${nodeId}: the nodes are ${nodes.map((n) => n.nodeId).join(', ')}`);
    return node;
  };

  return {
    bootstrap: nodes.map((n) => `${HOST}:${n.port}`).join(','),
    brokers: nodes,
    clusterId,
    version: dist.version,
    dir,
    kill: async (nodeId, signal = 'SIGKILL') => {
      const node = nodeById(nodeId);
      if (!node.process) throw new Error(`Kafka node ${nodeId} was never started`);
      return node.process.kill(signal, KILL_DEADLINE_MS);
    },
    restart: async (nodeId) => {
      if (stopped) throw new Error('the Kafka cluster was stopped');
      const node = nodeById(nodeId);
      if (node.running)
        throw new Error(`Kafka node ${nodeId} is still running (pid ${node.pid}): kill it first`);
      waitingFor.add(nodeId);
      try {
        await launch(node);
        await waitServing(`restart of node ${nodeId}`);
      } finally {
        waitingFor.delete(nodeId);
      }
    },
    stop,
  };
}
