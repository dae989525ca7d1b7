// Drives the alerting engine over an in-memory SQLite database with metric points at chosen event times.
import { DatabaseSync } from 'node:sqlite';
import type { MetricEnvelope, MetricPoint } from '../../../src/sdk/index.ts';
import { Engine } from '../../../src/services/alerting/engine.ts';
import type { Notification } from '../../../src/services/alerting/notifications.ts';
import { parseRules } from '../../../src/services/alerting/rules.ts';
import { insertSilence, type SilenceInput } from '../../../src/services/alerting/silences.ts';
import { readAlerts, SCHEMA, type AlertRow } from '../../../src/services/alerting/store.ts';

/** A multiple of every evaluation interval the tests use. */
export const BASE = 1_764_242_000_000;
export const at = (seconds: number): number => BASE + seconds * 1000;

let seq = 0;
export function gauge(
  name: string,
  seconds: number,
  value: number,
  service = 'web',
  attributes = {},
): MetricEnvelope {
  const ts = at(seconds);
  const data: MetricPoint = { name, attributes, startTs: ts - 10_000, ts, type: 'gauge', value };
  return { v: 1, kind: 'metric', service, producer: `${service}-1`, stream: 'metrics', seq: seq++, ts, data };
}

export class Harness {
  readonly db = new DatabaseSync(':memory:');
  readonly engine: Engine;
  /** The wall clock the engine sees (partition idleness). */
  wall = 0;

  constructor(yaml: string) {
    this.db.exec(SCHEMA);
    const rules = parseRules(yaml, 'test rules');
    this.engine = new Engine(
      rules,
      {
        groupBy: rules.route.group_by,
        groupWaitMs: rules.route.group_wait,
        groupIntervalMs: rules.route.group_interval,
        repeatIntervalMs: rules.route.repeat_interval,
        receivers: ['console'],
        externalURL: 'http://127.0.0.1:0',
      },
      { now: () => this.wall, idleMs: 30_000 },
    );
  }

  /** Ingests from partition 0 of topic `metrics`. */
  ingest(...envelopes: MetricEnvelope[]): void {
    this.ingestFrom(0, ...envelopes);
  }

  ingestFrom(partition: number, ...envelopes: MetricEnvelope[]): void {
    for (const e of envelopes) this.engine.ingest(this.db, e, { topic: 'metrics', partition });
  }

  alerts(): AlertRow[] {
    return readAlerts(this.db);
  }

  alert(service: string): AlertRow | undefined {
    return this.alerts().find((a) => a.labels.service === service);
  }

  notifications(): Notification[] {
    const rows = this.db.prepare('SELECT payload FROM alerting_outbox ORDER BY id').all() as {
      payload: string;
    }[];
    return rows.map((r) => JSON.parse(r.payload) as Notification);
  }

  /** Each notification as "status: service/alertstatus ..." for compact assertions. */
  summary(): string[] {
    return this.notifications().map(
      (n) =>
        `${n.status}: ${n.alerts.map((a) => `${a.labels.service}/${a.status}@${(Date.parse(a.status === 'firing' ? a.startsAt : a.endsAt) - BASE) / 1000}`).join(' ')}`,
    );
  }

  silence(input: Partial<SilenceInput> & Pick<SilenceInput, 'matchers'>): void {
    insertSilence(
      this.db,
      { startsAt: at(-3600), endsAt: at(3600), comment: '', createdBy: 'test', ...input },
      BASE,
    );
  }
}
