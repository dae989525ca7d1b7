// Grouping notifications and writing them to the outbox, at each evaluation (event time, inside the
// consumer's transaction). A group (the alerts sharing the route's group_by labels) is notified when it has
// news — alerts that started firing and are not silenced, or resolves of alerts whose firing was notified —
// group_wait after its first news, then at most every group_interval; an unchanged firing group is notified
// again every repeat_interval. Each notification gets an idempotency key derived from the (fingerprint,
// transition, startsAt) of the alerts it carries, and one outbox row per receiver.
import { createHash } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { isSilenced, listSilences } from './silences.ts';
import { readAlerts, type AlertRow } from './store.ts';

export interface NotificationOptions {
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  /** Webhook URLs, plus `console` for the log. */
  receivers: string[];
  /** Alertmanager's externalURL field: where the alerts can be seen. */
  externalURL: string;
}

/** One alert in a notification: Alertmanager's fields plus the key of this alert's transition. */
export interface NotifiedAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
  idempotencyKey: string;
}

/** The webhook body: Alertmanager's version 4 payload, plus `idempotencyKey` (also the Idempotency-Key header). */
export interface Notification {
  version: '4';
  groupKey: string;
  truncatedAlerts: 0;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: NotifiedAlert[];
  idempotencyKey: string;
}

/** Alertmanager writes this as the endsAt of an alert still firing. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

interface ResolveRow {
  fingerprint: string;
  starts_at: number;
  ends_at: number;
  labels: string;
  annotations: string;
}

export function flushGroups(db: DatabaseSync, at: number, o: NotificationOptions): void {
  const keys = db
    .prepare(
      `SELECT group_key FROM alerting_alerts WHERE state = 'firing' UNION SELECT group_key FROM alerting_resolves`,
    )
    .all() as { group_key: string }[];
  if (keys.length === 0) return;
  const silences = listSilences(db, at);
  for (const { group_key: key } of keys) {
    const group = (db
      .prepare('SELECT first_pending_at, last_sent_at FROM alerting_groups WHERE group_key = ?')
      .get(key) ?? { first_pending_at: null, last_sent_at: null }) as {
      first_pending_at: number | null;
      last_sent_at: number | null;
    };
    const firing = readAlerts(db, `WHERE group_key = ? AND state = 'firing'`, key);
    const notifiedAt = new Map(
      readAlerts(db, 'WHERE group_key = ?', key).map((a) => [a.fingerprint, a.notifiedStartsAt]),
    );
    const resolves = db
      .prepare('SELECT * FROM alerting_resolves WHERE group_key = ? ORDER BY fingerprint, starts_at')
      .all(key) as unknown as ResolveRow[];
    // A resolve is news only for an alert whose firing was notified; the others are dropped.
    const toResolve = resolves.filter((r) => notifiedAt.get(r.fingerprint) === r.starts_at);
    db.prepare(
      'DELETE FROM alerting_resolves WHERE group_key = ? AND NOT EXISTS (SELECT 1 FROM alerting_alerts a WHERE a.fingerprint = alerting_resolves.fingerprint AND a.notified_starts_at = alerting_resolves.starts_at)',
    ).run(key);
    const toFire = firing.filter((a) => a.notifiedStartsAt !== a.firedAt && !isSilenced(silences, a.labels));
    let alerts: NotifiedAlert[];
    let keyParts: string[];
    if (toFire.length + toResolve.length > 0) {
      const due =
        group.last_sent_at === null
          ? at >= (group.first_pending_at ?? at) + o.groupWaitMs
          : at >= group.last_sent_at + o.groupIntervalMs;
      if (!due) continue;
      alerts = [...toFire.map((a) => firingAlert(a, o)), ...toResolve.map((r) => resolvedAlert(r, o))];
      keyParts = alerts.map((a) => a.idempotencyKey);
      const mark = db.prepare('UPDATE alerting_alerts SET notified_starts_at = ? WHERE fingerprint = ?');
      for (const a of toFire) mark.run(a.firedAt, a.fingerprint);
      db.prepare('DELETE FROM alerting_resolves WHERE group_key = ?').run(key);
    } else {
      const repeat = firing.filter(
        (a) => a.notifiedStartsAt === a.firedAt && !isSilenced(silences, a.labels),
      );
      if (group.last_sent_at === null || repeat.length === 0 || at < group.last_sent_at + o.repeatIntervalMs)
        continue;
      alerts = repeat.map((a) => firingAlert(a, o));
      keyParts = ['repeat', String(at), ...alerts.map((a) => a.idempotencyKey)];
    }
    const notificationKey = hash(key, ...keyParts);
    db.prepare(
      `INSERT INTO alerting_groups (group_key, first_pending_at, last_sent_at) VALUES (?, NULL, ?)
       ON CONFLICT (group_key) DO UPDATE SET first_pending_at = NULL, last_sent_at = excluded.last_sent_at`,
    ).run(key, at);
    writeOutbox(db, at, o, notification(key, alerts, notificationKey, o));
  }
}

function writeOutbox(db: DatabaseSync, at: number, o: NotificationOptions, n: Notification): void {
  const insert = db.prepare(
    'INSERT OR IGNORE INTO alerting_outbox (receiver, key, created_at, payload) VALUES (?, ?, ?, ?)',
  );
  const payload = JSON.stringify(n);
  for (const receiver of o.receivers) insert.run(receiver, n.idempotencyKey, at, payload);
}

function firingAlert(a: AlertRow, o: NotificationOptions): NotifiedAlert {
  const startsAt = a.firedAt ?? a.since;
  return {
    status: 'firing',
    labels: a.labels,
    annotations: a.annotations,
    startsAt: new Date(startsAt).toISOString(),
    endsAt: ZERO_TIME,
    generatorURL: o.externalURL,
    fingerprint: a.fingerprint,
    idempotencyKey: hash(a.fingerprint, 'firing', String(startsAt)),
  };
}

function resolvedAlert(r: ResolveRow, o: NotificationOptions): NotifiedAlert {
  return {
    status: 'resolved',
    labels: JSON.parse(r.labels) as Record<string, string>,
    annotations: JSON.parse(r.annotations) as Record<string, string>,
    startsAt: new Date(r.starts_at).toISOString(),
    endsAt: new Date(r.ends_at).toISOString(),
    generatorURL: o.externalURL,
    fingerprint: r.fingerprint,
    idempotencyKey: hash(r.fingerprint, 'resolved', String(r.starts_at)),
  };
}

function notification(
  groupKey: string,
  alerts: NotifiedAlert[],
  key: string,
  o: NotificationOptions,
): Notification {
  const common = <K extends 'labels' | 'annotations'>(field: K): Record<string, string> => {
    const [first, ...rest] = alerts;
    return Object.fromEntries(
      Object.entries(first[field]).filter(([k, v]) => rest.every((a) => a[field][k] === v)),
    );
  };
  const first = alerts[0];
  return {
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'sluice',
    groupLabels: Object.fromEntries(o.groupBy.map((l) => [l, first.labels[l] ?? ''])),
    commonLabels: common('labels'),
    commonAnnotations: common('annotations'),
    externalURL: o.externalURL,
    alerts,
    idempotencyKey: key,
  };
}

function hash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}
