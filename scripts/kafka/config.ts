// What a test cluster's brokers are started with: loopback ports, the KRaft server.properties of each
// node (combined broker+controller roles, every node a voter), the JVM flags and the log4j2 setup.
import { randomBytes, randomInt } from 'node:crypto';
import { createServer } from 'node:net';

export const HOST = '127.0.0.1';

/** Values for server.properties; later settings override earlier ones. */
export type KafkaSettings = Record<string, string | number | boolean>;

export interface NodeAddress {
  nodeId: number;
  /** The PLAINTEXT listener clients use. */
  port: number;
  /** The CONTROLLER listener the KRaft quorum uses. */
  controllerPort: number;
}

// Below Linux's ephemeral range (32768+), so neither the embedded-broker tests (port 0) nor outgoing
// connections are handed the same port while the broker is down between a kill and a restart.
const PORT_RANGE = [20000, 32000] as const;

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: HOST, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** `count` distinct ports that were free on 127.0.0.1 a moment ago. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count; tries++) {
    if (tries > 1000) throw new Error(`found no ${count} free ports in ${PORT_RANGE.join('-')} on ${HOST}`);
    const port = randomInt(PORT_RANGE[0], PORT_RANGE[1]);
    if (!ports.has(port) && (await isFree(port))) ports.add(port);
  }
  return [...ports];
}

/** A KRaft cluster id: 16 random bytes in URL-safe base64, as `kafka-storage random-uuid` prints. */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka avoids ids starting with '-' too: a command line would read them as an option.
    if (!id.startsWith('-')) return id;
  }
}

/** The server.properties of one node of an n-node cluster. */
export function nodeProperties(
  node: NodeAddress,
  all: readonly NodeAddress[],
  logDir: string,
  overrides: KafkaSettings = {},
): string {
  const n = all.length;
  const settings: KafkaSettings = {
    'process.roles': 'broker,controller',
    'node.id': node.nodeId,
    // A static quorum of every node: no dynamic-quorum bootstrapping (KIP-853) to get wrong.
    'controller.quorum.voters': all.map((a) => `${a.nodeId}@${HOST}:${a.controllerPort}`).join(','),
    listeners: `PLAINTEXT://${HOST}:${node.port},CONTROLLER://${HOST}:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${node.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': logDir,
    // Internal topics replicated as far as the cluster allows, so losing one of three brokers loses no
    // group offsets or transaction state.
    'offsets.topic.replication.factor': Math.min(3, n),
    'transaction.state.log.replication.factor': Math.min(3, n),
    'transaction.state.log.min.isr': Math.min(2, n),
    'share.coordinator.state.topic.replication.factor': Math.min(3, n),
    'share.coordinator.state.topic.min.isr': Math.min(2, n),
    // 50 partitions each (the defaults) cost seconds of a 2-core machine on first use; tests need few.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.num.partitions': 10,
    'share.coordinator.state.topic.num.partitions': 10,
    // Tests' consumers join one at a time; Kafka's 3 s wait for more members only slows them down.
    'group.initial.rebalance.delay.ms': 0,
    ...overrides,
  };
  return (
    Object.entries(settings)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join('\n') + '\n'
  );
}

/**
 * Heap: Kafka's own scripts default to 1 GiB fixed. Tests move kilobytes to megabytes, so 256 MiB to start
 * and 512 MiB at most is plenty (the largest fixed buffer, the log cleaner's 128 MiB dedupe map, fits),
 * and three brokers stay under ~2 GiB resident on a 24 GiB machine that colleagues' tests share.
 * KAFKA_HEAP_OPTS overrides it, as with Kafka's scripts.
 */
export function heapOptions(): string[] {
  const fromEnv = process.env.KAFKA_HEAP_OPTS?.trim();
  return fromEnv ? fromEnv.split(/\s+/) : ['-Xms256m', '-Xmx512m'];
}

/** The JVM flags of Kafka's kafka-run-class.sh that matter here (G1 with short pauses), without GC logs. */
export const JVM_FLAGS = [
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
];

// Each node logs INFO and up to server.log in its own directory (kafka.logs.dir); WARN and up also go to
// stderr, which lands in the node's stdout.log and is quoted when a broker fails to start.
export const LOG4J2_PROPERTIES = `status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = \${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
appender.stderr.filter.threshold.type = ThresholdFilter
appender.stderr.filter.threshold.level = warn
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
rootLogger.appenderRef.stderr.ref = stderr
`;
