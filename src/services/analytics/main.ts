// The analytics service: rolls metric points up per series into 10 s, 1 min and 1 h windows (count, sum,
// min, max, p50/p90/p99 from a DDSketch), effectively-once: each rollup update commits in one transaction
// with the consumed offset, so after a crash (or any downtime) the service resumes from the store's offsets
// and backfills from the bus without counting anything twice. Serves the query API (query-api.ts) and
// deletes rollups past their retention.
import path from 'node:path';
import { Counter } from 'prom-client';
import { consume } from '../../sdk/index.ts';
import { createBusAdmin } from '../../sdk/kafka-client.ts';
import { streamSource } from '../../topology/sdk-options.ts';
import type { ServiceMain } from '../runtime.ts';
import { rollupHandler } from './handler.ts';
import { PostgresRollupStore } from './postgres-store.ts';
import { queryRoutes } from './query-api.ts';
import { restartingConsumer, type RestartingConsumer } from './restarting-consumer.ts';
import { RESOLUTION_NAMES } from './rollup.ts';
import type { AnalyticsSettings } from './settings.ts';
import { SqliteRollupStore } from './sqlite-store.ts';
import type { RollupStore } from './store.ts';

export const main: ServiceMain = async (ctx) => {
  const { component } = ctx;
  if (component.kind !== 'analytics')
    throw new Error(`analytics cannot run a component of kind ${component.kind}`);
  const settings: AnalyticsSettings = component;
  const store = await openStore(settings, ctx.dataDir);

  const records = new Counter({
    name: 'sluice_analytics_records_total',
    help: 'Records read by analytics, by stream and outcome (rolled-up, skipped, dead-lettered)',
    labelNames: ['stream', 'outcome'],
    registers: [ctx.registry],
  });
  const deleted = new Counter({
    name: 'sluice_analytics_retention_deleted_total',
    help: 'Rollup rows deleted past their retention, by resolution',
    labelNames: ['resolution'],
    registers: [ctx.registry],
  });
  const counts: Record<string, Record<string, number>> = {};

  const baseGroup = settings.group ?? `sluice-analytics-${ctx.name}`;
  const consumers = new Map<string, RestartingConsumer>();
  for (const stream of settings.streams) {
    const source = streamSource(ctx.topology, stream, `sluice-analytics-${ctx.name}`);
    const deadLetterTopic = settings.deadLetterTopic ?? `${source.topic}.dlq`;
    ensureTopic(source.bus, deadLetterTopic).catch((error: unknown) =>
      ctx.logger.warn({ err: error, topic: deadLetterTopic }, 'cannot create the dead-letter topic (yet)'),
    );
    counts[stream] = { 'rolled-up': 0, skipped: 0, 'dead-lettered': 0 };
    const start = () =>
      consume<unknown>({
        ...source,
        group: settings.streams.length === 1 ? baseGroup : `${baseGroup}-${stream}`,
        semantics: 'effectively-once',
        sink: store.sink,
        deadLetterTopic,
        ...(settings.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: settings.sessionTimeoutMs }),
        metrics: ctx.registry,
        logger: ctx.logger,
        handler: rollupHandler({
          store,
          alpha: settings.relativeAccuracy,
          retentionMs: settings.retention,
          now: Date.now,
          onOutcome: (outcome, detail) => {
            records.inc({ stream, outcome });
            counts[stream][outcome]++;
            if (outcome === 'dead-lettered')
              ctx.logger.warn({ stream, reason: detail }, 'record dead-lettered');
          },
        }),
      });
    const consumer = await restartingConsumer(start, {
      onFailure: (error, restartInMs) =>
        ctx.logger.error({ err: error, stream, restartInMs }, 'analytics consumer stopped on a fatal error'),
    });
    consumers.set(stream, consumer);
  }

  let retentionRun: Promise<void> = Promise.resolve();
  const applyRetention = async (): Promise<void> => {
    for (const resolution of RESOLUTION_NAMES) {
      const cutoff = Date.now() - settings.retention[resolution];
      const n = await store.sink.transaction((tx) => store.deleteBefore(tx.context, resolution, cutoff));
      if (n > 0) deleted.inc({ resolution }, n);
    }
  };
  const runRetention = (): void => {
    retentionRun = retentionRun
      .then(applyRetention)
      .catch((error: unknown) => ctx.logger.warn({ err: error }, 'retention delete failed'));
  };
  runRetention();
  const timer = setInterval(runRetention, settings.retentionCheckInterval);
  timer.unref();

  return {
    routes: queryRoutes(store),
    details: () => ({
      store: settings.store.kind,
      streams: counts,
      restarts: Object.fromEntries([...consumers].map(([stream, c]) => [stream, c.failures()])),
    }),
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...consumers.values()].map((c) => c.stop()));
      await retentionRun;
      await store.close();
    },
  };
};

async function ensureTopic(bus: Parameters<typeof createBusAdmin>[0], topic: string): Promise<void> {
  const admin = createBusAdmin(bus);
  try {
    await admin.createTopics([{ name: topic, partitions: 1 }]);
  } finally {
    await admin.close();
  }
}

async function openStore(settings: AnalyticsSettings, dataDir: string): Promise<RollupStore<unknown>> {
  const { store: where } = settings;
  let store: RollupStore<unknown> | undefined;
  try {
    store =
      where.kind === 'postgres'
        ? new PostgresRollupStore({
            url: where.url,
            ...(where.schema === undefined ? {} : { schema: where.schema }),
          })
        : new SqliteRollupStore(path.resolve(dataDir, where.path ?? 'rollups.db'));
    await store.init();
    return store;
  } catch (error) {
    await store?.close().catch(() => {});
    const at =
      where.kind === 'postgres' ? redacted(where.url) : path.resolve(dataDir, where.path ?? 'rollups.db');
    throw new Error(`analytics store (${where.kind}, ${at}) cannot be opened: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** A connection string without its password, for messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured url';
  }
}
