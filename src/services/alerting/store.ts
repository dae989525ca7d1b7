// The alerting service's SQLite tables. They live in the same database as the consumed offsets, so every
// write made while handling records (samples, alert states, notifications to send) commits with the offsets
// of those records or not at all.
import type { DatabaseSync } from 'node:sqlite';
import type { AlertState, AlertStateName } from './state-machine.ts';

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS alerting_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS alerting_partitions (
  topic TEXT NOT NULL, partition INTEGER NOT NULL, watermark INTEGER NOT NULL, PRIMARY KEY (topic, partition));
CREATE TABLE IF NOT EXISTS alerting_samples (
  rule TEXT NOT NULL, side INTEGER NOT NULL, grp TEXT NOT NULL, ts INTEGER NOT NULL,
  count REAL NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, rate_basis REAL NOT NULL,
  bounds TEXT, counts TEXT);
CREATE INDEX IF NOT EXISTS alerting_samples_rule_ts ON alerting_samples (rule, ts);
CREATE TABLE IF NOT EXISTS alerting_alerts (
  fingerprint TEXT PRIMARY KEY, rule TEXT NOT NULL, grp TEXT NOT NULL, group_key TEXT NOT NULL,
  labels TEXT NOT NULL, annotations TEXT NOT NULL, state TEXT NOT NULL, since INTEGER NOT NULL,
  active_at INTEGER, fired_at INTEGER, last_true_at INTEGER, value REAL, notified_starts_at INTEGER);
CREATE INDEX IF NOT EXISTS alerting_alerts_rule ON alerting_alerts (rule);
CREATE TABLE IF NOT EXISTS alerting_resolves (
  group_key TEXT NOT NULL, fingerprint TEXT NOT NULL, starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL,
  labels TEXT NOT NULL, annotations TEXT NOT NULL, PRIMARY KEY (fingerprint, starts_at));
CREATE TABLE IF NOT EXISTS alerting_groups (
  group_key TEXT PRIMARY KEY, first_pending_at INTEGER, last_sent_at INTEGER);
CREATE TABLE IF NOT EXISTS alerting_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, receiver TEXT NOT NULL, key TEXT NOT NULL, created_at INTEGER NOT NULL,
  payload TEXT NOT NULL, sent_at INTEGER, UNIQUE (receiver, key));
CREATE TABLE IF NOT EXISTS alerting_silences (
  id TEXT PRIMARY KEY, matchers TEXT NOT NULL, starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL,
  comment TEXT NOT NULL, created_by TEXT NOT NULL, created_at INTEGER NOT NULL);
`;

export interface AlertRow extends AlertState {
  fingerprint: string;
  rule: string;
  grp: string;
  groupKey: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  notifiedStartsAt: number | null;
}

interface RawAlertRow {
  fingerprint: string;
  rule: string;
  grp: string;
  group_key: string;
  labels: string;
  annotations: string;
  state: string;
  since: number;
  active_at: number | null;
  fired_at: number | null;
  last_true_at: number | null;
  value: number | null;
  notified_starts_at: number | null;
}

export function alertFromRow(r: RawAlertRow): AlertRow {
  return {
    fingerprint: r.fingerprint,
    rule: r.rule,
    grp: r.grp,
    groupKey: r.group_key,
    labels: JSON.parse(r.labels) as Record<string, string>,
    annotations: JSON.parse(r.annotations) as Record<string, string>,
    state: r.state as AlertStateName,
    since: r.since,
    activeAt: r.active_at,
    firedAt: r.fired_at,
    lastTrueAt: r.last_true_at,
    value: r.value,
    notifiedStartsAt: r.notified_starts_at,
  };
}

export function readAlerts(db: DatabaseSync, where = '', ...params: (string | number)[]): AlertRow[] {
  const rows = db.prepare(`SELECT * FROM alerting_alerts ${where} ORDER BY rule, fingerprint`).all(...params);
  return (rows as unknown as RawAlertRow[]).map(alertFromRow);
}

export function writeAlert(db: DatabaseSync, a: AlertRow): void {
  db.prepare(
    `INSERT INTO alerting_alerts (fingerprint, rule, grp, group_key, labels, annotations, state, since, active_at,
       fired_at, last_true_at, value, notified_starts_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (fingerprint) DO UPDATE SET annotations = excluded.annotations, state = excluded.state,
       since = excluded.since, active_at = excluded.active_at, fired_at = excluded.fired_at,
       last_true_at = excluded.last_true_at, value = excluded.value, notified_starts_at = excluded.notified_starts_at`,
  ).run(
    a.fingerprint,
    a.rule,
    a.grp,
    a.groupKey,
    JSON.stringify(a.labels),
    JSON.stringify(a.annotations),
    a.state,
    a.since,
    a.activeAt,
    a.firedAt,
    a.lastTrueAt,
    a.value,
    a.notifiedStartsAt,
  );
}

export function readMeta(db: DatabaseSync, key: string): number | undefined {
  const row = db.prepare('SELECT value FROM alerting_meta WHERE key = ?').get(key) as
    { value: number } | undefined;
  return row?.value;
}

export function writeMeta(db: DatabaseSync, key: string, value: number): void {
  db.prepare(
    'INSERT INTO alerting_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ).run(key, value);
}

export interface OutboxEntry {
  id: number;
  receiver: string;
  key: string;
  payload: string;
}

export function unsentOutbox(db: DatabaseSync, limit = 100): OutboxEntry[] {
  return db
    .prepare(
      'SELECT id, receiver, key, payload FROM alerting_outbox WHERE sent_at IS NULL ORDER BY id LIMIT ?',
    )
    .all(limit) as unknown as OutboxEntry[];
}
