// startBroker: the embedded Kafka-protocol broker as a library. Resolves and validates its settings, opens
// the data directory and every topic's log, registers the handlers, binds the listener (and the optional
// admin endpoint), and returns a handle that stops it cleanly.
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { startAdminServer, type AdminServer } from './admin-server.ts';
import type { BrokerContext } from './broker-context.ts';
import { parseDurability, resolveBrokerConfig, type BrokerConfig, type BrokerConfigInput } from './config.ts';
import type { BrokerFaults } from './faults.ts';
import { GroupCoordinator } from './groups/coordinator.ts';
import { OffsetStore } from './groups/offset-store.ts';
import { HandlerRegistry } from './handlers/handler.ts';
import { allHandlers } from './handlers/index.ts';
import { NodeLogFs, type LogFs } from './log/index.ts';
import { readJsonFile, writeJsonFile } from './log/small-files.ts';
import { BrokerMetrics } from './metrics.ts';
import { Producers } from './producers/producers.ts';
import { Listener } from './server/listener.ts';
import { timedFs } from './timed-fs.ts';
import { TopicManager } from './topics/topic-manager.ts';
import { openTransactions } from './transactions/open.ts';
import { systemClock } from './groups/clock.ts';

export interface StartBrokerOptions extends BrokerConfigInput {
  /** A pino logger; by default one is made at the configured level, writing to stderr. */
  logger?: Logger;
  /** The file-system seam under every log and metadata file (tests inject faults through it). */
  fs?: LogFs;
  /** Test-only fault hooks (faults.ts), e.g. dropping a connection after a produce append. */
  faults?: BrokerFaults;
}

export interface BrokerHandle {
  readonly host: string;
  readonly port: number;
  /** `host:port` as clients should use it. */
  readonly bootstrap: string;
  /** The admin endpoint's port, when one was asked for. */
  readonly adminPort: number | undefined;
  readonly config: BrokerConfig;
  readonly context: BrokerContext;
  /** Stops accepting connections, finishes requests in flight, syncs and closes the logs. */
  close(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 5000;

export async function startBroker(options: StartBrokerOptions = {}): Promise<BrokerHandle> {
  const { logger: givenLogger, fs: givenFs, faults = {}, ...settings } = options;
  const config = resolveBrokerConfig(settings);
  const logger = givenLogger ?? pino({ level: config.logLevel, name: 'sluice-broker' }, pino.destination(2));
  const dataDir = resolve(config.dataDir);

  let topics: TopicManager | undefined;
  const metrics = new BrokerMetrics(function* () {
    for (const topic of topics?.list() ?? []) {
      for (const p of topic.partitions)
        yield { topic: topic.name, partition: p.index, bytes: p.log.sizeBytes };
    }
  });
  const fs = timedFs(givenFs ?? new NodeLogFs(), (seconds) => metrics.fsyncSeconds.observe(seconds));
  await fs.mkdir(dataDir);
  const clusterId = await loadOrCreateClusterId(fs, dataDir);
  topics = await TopicManager.open({
    fs,
    dataDir,
    config,
    durability: parseDurability(config.durability),
    logger,
  });
  const offsets = await OffsetStore.open(fs, dataDir, {
    durability: parseDurability(config.durability),
    logger: logger.child({ component: 'offset-store' }),
    compactAfterBytes: config.offsetsCompactAfterBytes,
  }).catch(async (err: unknown) => {
    await topics?.close(); // a damaged store stops the start: leave no log open behind
    throw err;
  });
  // Offsets of topics whose DeleteTopics crashed before it could drop them (20-delete-topics.ts).
  const topicNames = new Set(topics.list().map((t) => t.name));
  const orphaned = await offsets.retainTopics((name) => topicNames.has(name));
  if (orphaned.length > 0)
    logger.info({ topics: orphaned }, 'dropped the committed offsets of deleted topics');
  const groups = GroupCoordinator.open({
    store: offsets,
    settings: {
      initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
      minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
    },
    logger: logger.child({ component: 'groups' }),
    partitionExists: (topic, partition) => topics?.partition(topic, partition) !== undefined,
  });
  const producers = await Producers.open({
    fs,
    dataDir,
    topics,
    expirationMs: config.producerIdExpirationMs,
    logger,
  });
  const transactions = await openTransactions({
    fs,
    dataDir,
    topics,
    offsets,
    groups,
    producers,
    clock: systemClock,
    logger: logger.child({ component: 'transactions' }),
  }).catch(async (err: unknown) => {
    groups.close();
    await topics?.close();
    await offsets.close();
    await producers.close();
    throw err;
  });

  const registry = new HandlerRegistry();
  for (const handler of allHandlers) registry.register(handler);
  const shutdown = new AbortController();

  let context: BrokerContext | undefined;
  let listener: Listener;
  try {
    listener = await Listener.listen({
      host: config.host,
      port: config.port,
      maxFrameBytes: config.maxFrameBytes,
      registry,
      logger,
      context: () => context!,
    });
  } catch (err) {
    groups.close();
    await transactions.close();
    await topics.close();
    await offsets.close();
    await producers.close();
    throw err;
  }
  const port = listener.port;
  const ctx: BrokerContext = {
    config,
    nodeId: config.nodeId,
    clusterId,
    advertisedHost: config.advertisedHost ?? config.host,
    advertisedPort: config.advertisedPort ?? port,
    logger,
    registry,
    metrics,
    topics,
    offsets,
    groups,
    producers,
    transactions,
    faults,
    shutdown: shutdown.signal,
  };
  context = ctx;

  let admin: AdminServer | undefined;
  if (config.adminPort !== undefined) {
    admin = await startAdminServer(config.host, config.adminPort, metrics, () => ({
      ok: !shutdown.signal.aborted,
      detail: { port, topics: ctx.topics.list().length, connections: listener.connectionCount },
    }));
  }

  const retention = setInterval(() => {
    ctx.topics
      .applyRetention(Date.now())
      .catch((err: unknown) => logger.error({ err }, 'retention check failed'));
  }, config.retentionCheckIntervalMs);
  retention.unref();

  logger.info({ host: config.host, port, adminPort: admin?.port, dataDir, clusterId }, 'broker listening');

  let closing: Promise<void> | undefined;
  return {
    host: config.host,
    port,
    bootstrap: `${ctx.advertisedHost}:${ctx.advertisedPort}`,
    adminPort: admin?.port,
    config,
    context: ctx,
    close() {
      closing ??= (async () => {
        clearInterval(retention);
        shutdown.abort();
        groups.close(); // answers parked JoinGroup/SyncGroup requests, so the listener need not wait for them
        await listener.close(SHUTDOWN_GRACE_MS);
        await transactions.close(); // an EndTxn in flight finishes its markers before the logs close
        await groups.flush();
        await admin?.close();
        await offsets.close(); // no request can change it any more
        await ctx.topics.close();
        await producers.close(); // after the logs: its snapshot needs their final end offsets
        logger.info({ port }, 'broker stopped');
      })();
      return closing;
    },
  };
}

/** The cluster id is made once per data directory and kept, as Kafka keeps it in meta.properties. */
async function loadOrCreateClusterId(fs: LogFs, dataDir: string): Promise<string> {
  const path = join(dataDir, 'cluster.json');
  const stored = (await readJsonFile(fs, path)) as { clusterId?: unknown } | undefined;
  if (stored !== undefined) {
    if (typeof stored.clusterId === 'string' && stored.clusterId.length > 0) return stored.clusterId;
    throw new Error(`${path} has no clusterId`);
  }
  const clusterId = Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url');
  await writeJsonFile(fs, path, { clusterId });
  return clusterId;
}
