// The alerting service: consumes metric streams effectively-once into SQLite (samples, alert states and the
// notification outbox commit with the consumed offsets), sends the outbox after each commit, and serves
// the alerts and silences API. `main.ts` runs it with the wall clock; tests inject a clock.
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Counter } from 'prom-client';
import {
  consume,
  decodeEnvelope,
  EnvelopeDecodeError,
  NonRetriableError,
  sqliteSink,
  type ConsumerHandle,
  type TransactionalSink,
} from '../../sdk/index.ts';
import { createBusAdmin, type BusConfig } from '../../sdk/kafka-client.ts';
import { streamSource } from '../../topology/sdk-options.ts';
import type { ServiceContext, ServiceHandle } from '../runtime.ts';
import { alertingRoutes, type AlertView } from './api.ts';
import { DEMO_RULES_YAML } from './demo-rules.ts';
import { Engine } from './engine.ts';
import { faultsFromEnv } from './faults.ts';
import { OutboxSender } from './outbox-sender.ts';
import { loadRulesFile, parseRules, type RulesFile } from './rules.ts';
import type { AlertingSettings } from './settings.ts';
import { isSilenced, listSilences } from './silences.ts';
import { readAlerts, readMeta, SCHEMA } from './store.ts';

export interface AlertingOptions {
  /** Wall clock (ms): staleness of the stream, silences shown as active. Default Date.now. */
  now?: () => number;
}

export async function startAlerting(
  ctx: ServiceContext,
  options: AlertingOptions = {},
): Promise<ServiceHandle> {
  const now = options.now ?? Date.now;
  const settings = ctx.component as unknown as AlertingSettings;
  const rules: RulesFile =
    settings.rulesFile === undefined
      ? parseRules(DEMO_RULES_YAML, 'built-in demo rules')
      : loadRulesFile(path.resolve(settings.rulesFile));
  const faults = faultsFromEnv();
  const file = path.join(ctx.dataDir, 'alerting.db');
  const inner = sqliteSink({ path: file });
  const db = inner.database;
  db.exec(SCHEMA);
  await inner.init();
  const reader = new DatabaseSync(file, { readOnly: true });
  const write = <T>(work: (d: DatabaseSync) => T): Promise<T> =>
    inner.transaction((tx) => Promise.resolve(work(tx.context)));
  const names = new Set(rules.rules.map((r) => r.name));
  await write((d) => {
    for (const a of readAlerts(d))
      if (!names.has(a.rule))
        d.prepare('DELETE FROM alerting_alerts WHERE fingerprint = ?').run(a.fingerprint);
  });

  const externalURL = `http://127.0.0.1:${ctx.component.httpPort}`;
  const engine = new Engine(
    rules,
    {
      groupBy: rules.route.group_by,
      groupWaitMs: rules.route.group_wait,
      groupIntervalMs: rules.route.group_interval,
      repeatIntervalMs: rules.route.repeat_interval,
      receivers: [...settings.webhooks, 'console'],
      externalURL,
    },
    { now, idleMs: settings.partitionIdleMs },
  );
  const bad = new Counter({
    name: 'sluice_alerting_bad_records_total',
    help: 'Records that were not valid telemetry, by reason (not-json and schema are dead-lettered).',
    labelNames: ['reason'],
    registers: [ctx.registry],
  });
  const sent = new Counter({
    name: 'sluice_alerting_notifications_total',
    help: 'Notification deliveries by receiver and outcome (sent, failed).',
    labelNames: ['receiver', 'outcome'],
    registers: [ctx.registry],
  });
  const sender = new OutboxSender({ reader, write, logger: ctx.logger, sent, faults });
  const seq = (): number =>
    (
      db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'alerting_outbox'`).get() as
        { seq: number } | undefined
    )?.seq ?? 0;
  const sink: TransactionalSink<DatabaseSync> = {
    kind: inner.kind,
    init: () => inner.init(),
    readOffsets: (group, partitions) => inner.readOffsets(group, partitions),
    close: () => inner.close(),
    async transaction(work) {
      const result = await inner.transaction(async (tx) => {
        const before = seq();
        const r = await work(tx);
        faults.beforeCommit(seq() !== before);
        return r;
      });
      sender.kick();
      return result;
    },
  };

  let lastRecordAt = now();
  let lagSeconds = 0;
  const baseGroup = settings.group ?? `sluice-alerting-${ctx.name}`;
  const consumers: ConsumerHandle[] = [];
  const closeStore = async (): Promise<void> => {
    await inner.close();
    reader.close();
  };
  try {
    for (const stream of settings.streams) {
      const source = streamSource(ctx.topology, stream, `sluice-alerting-${ctx.name}`);
      const deadLetterTopic = settings.deadLetterTopic ?? `${source.topic}.dlq`;
      await ensureTopic(source.bus, deadLetterTopic).catch((error: unknown) =>
        ctx.logger.warn({ err: error, topic: deadLetterTopic }, 'cannot create the dead-letter topic (yet)'),
      );
      consumers.push(
        await consume<DatabaseSync>({
          ...source,
          group: settings.streams.length === 1 ? baseGroup : `${baseGroup}-${stream}`,
          semantics: 'effectively-once',
          sink,
          deadLetterTopic,
          ...(settings.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: settings.sessionTimeoutMs }),
          metrics: ctx.registry,
          logger: ctx.logger,
          handler: (record, { tx }) => {
            lastRecordAt = now();
            let envelope;
            try {
              envelope = decodeEnvelope(record.value);
            } catch (error) {
              if (!(error instanceof EnvelopeDecodeError)) throw error;
              bad.inc({ reason: error.code });
              if (error.code === 'not-json' || error.code === 'schema') {
                throw new NonRetriableError(`${error.code} at ${error.path}: ${error.reason}`);
              }
              return; // a later version or kind: skipped and counted
            }
            if (envelope.kind === 'metric') engine.ingest(tx, envelope, record);
          },
        }),
      );
      consumers
        .at(-1)!
        .done.catch((error: unknown) =>
          ctx.logger.error({ err: error, stream }, 'the alerting consumer stopped on a fatal error'),
        );
    }
  } catch (error) {
    await Promise.allSettled(consumers.map((c) => c.stop()));
    await closeStore();
    throw error;
  }
  sender.kick(); // what a previous run committed but did not get to send
  const lagTimer = setInterval(() => {
    void Promise.all(consumers.map((c) => c.lag()))
      .then((lags) => (lagSeconds = Math.max(0, ...lags.flat().map((l) => l.seconds))))
      .catch(() => {});
  }, 5000);
  lagTimer.unref();

  const stale = (): boolean =>
    now() - lastRecordAt > rules.stale_after || lagSeconds > settings.maxLagSeconds;
  const alerts = (): AlertView[] => {
    const t = now();
    const silences = listSilences(reader, t);
    const isStale = stale();
    const rows = readAlerts(reader, `WHERE state != 'inactive'`);
    const views: AlertView[] = rows.map((a) => ({
      rule: a.rule,
      fingerprint: a.fingerprint,
      labels: a.labels,
      state: isStale ? 'no-data' : (a.state as AlertView['state']),
      severity: a.labels.severity ?? '',
      since: isStale && a.state !== 'no-data' ? lastRecordAt + rules.stale_after : a.since,
      value: a.value,
      annotations: a.annotations,
      silenced: isSilenced(silences, a.labels),
    }));
    if (isStale) {
      for (const rule of rules.rules) {
        if (rows.some((a) => a.rule === rule.name)) continue;
        const labels = { alertname: rule.name, severity: rule.severity, ...rule.labels };
        views.push({
          rule: rule.name,
          fingerprint: '',
          labels,
          state: 'no-data',
          severity: rule.severity,
          since: lastRecordAt + rules.stale_after,
          value: null,
          annotations: {},
          silenced: isSilenced(silences, labels),
        });
      }
    }
    return views;
  };

  return {
    routes: alertingRoutes({ reader, write, alerts, now }),
    details: () => {
      const views = alerts();
      const count = (s: string): number => views.filter((v) => v.state === s).length;
      return {
        rules: rules.rules.length,
        watermark: readMeta(reader, 'watermark') ?? null,
        stale: stale(),
        alerts: { pending: count('pending'), firing: count('firing'), 'no-data': count('no-data') },
        unsentNotifications: (
          reader.prepare('SELECT COUNT(*) AS n FROM alerting_outbox WHERE sent_at IS NULL').get() as {
            n: number;
          }
        ).n,
      };
    },
    async stop() {
      clearInterval(lagTimer);
      await Promise.allSettled(consumers.map((c) => c.stop()));
      await sender.stop();
      await closeStore();
    },
  };
}

async function ensureTopic(bus: BusConfig, topic: string): Promise<void> {
  const admin = createBusAdmin(bus);
  try {
    await admin.createTopics([{ name: topic, partitions: 1 }]);
  } finally {
    await admin.close();
  }
}
