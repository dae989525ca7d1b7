// Evaluation in event time. Each metric point that a rule reads is stored as a sample; the watermark drives
// evaluation ticks every evaluation_interval: tick T is evaluated once the watermark reaches
// T + evaluation_interval (one interval of slack for late points), over the samples in (T - window, T].
// The watermark is the lowest of the partitions' latest point times, so a partition read behind the others
// (a backlog after downtime) holds evaluation back instead of being evaluated without its points — the
// numerator of a ratio missing would otherwise look like a recovery. A partition that delivered nothing
// for idleMs (wall clock) stops holding it back. Everything here runs inside the consumer's transaction.
import { createHash } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { MetricEnvelope } from '../../sdk/index.ts';
import { aggregate, compare, sampleOf, type Sample } from './aggregate.ts';
import { matchesAll } from './matchers.ts';
import { flushGroups, type NotificationOptions } from './notifications.ts';
import type { Rule, RulesFile } from './rules.ts';
import { INACTIVE, step } from './state-machine.ts';
import { readAlerts, readMeta, writeAlert, writeMeta } from './store.ts';
import { renderAll } from './template.ts';

/** Ticks further behind the watermark than this are skipped (their samples are gone or all stale). */
const MAX_CATCH_UP_TICKS = 1000;

/** Where a record came from: each partition has its own watermark. */
export interface RecordSource {
  topic: string;
  partition: number;
}

export interface EngineOptions {
  /** Wall clock (ms), for partition idleness only. */
  now: () => number;
  /** A partition with no record for this long (wall clock) no longer holds the watermark back. */
  idleMs: number;
}

export class Engine {
  readonly #rules: RulesFile;
  readonly #notify: NotificationOptions;
  readonly #lookback: number;
  readonly #options: EngineOptions;
  readonly #startedAt: number;
  /** Wall-clock time of each partition's last record in this process. */
  readonly #arrivals = new Map<string, number>();

  constructor(rules: RulesFile, notify: NotificationOptions, options: EngineOptions) {
    this.#rules = rules;
    this.#notify = notify;
    this.#options = options;
    this.#startedAt = options.now();
    this.#lookback = Math.max(rules.stale_after, ...rules.rules.map((r) => r.window));
  }

  /** Stores the point for every rule that reads it, then evaluates every tick the watermark passed. */
  ingest(db: DatabaseSync, envelope: MetricEnvelope, source: RecordSource): void {
    const point = envelope.data;
    const labels: Record<string, string> = { service: envelope.service };
    for (const [k, v] of Object.entries(point.attributes)) labels[k] = String(v);
    const insert = db.prepare(
      `INSERT INTO alerting_samples (rule, side, grp, ts, count, sum, min, max, rate_basis, bounds, counts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    let sample: Sample | undefined;
    for (const rule of this.#rules.rules) {
      const sides: number[] = [];
      if (point.name === rule.metric && matchesAll(rule.match, labels)) sides.push(0);
      if (rule.over && point.name === rule.over.metric && matchesAll(rule.over.match, labels)) sides.push(1);
      for (const side of sides) {
        sample ??= sampleOf(point);
        const grp = JSON.stringify(rule.by.map((l) => labels[l] ?? ''));
        insert.run(
          rule.name,
          side,
          grp,
          sample.ts,
          sample.count,
          sample.sum,
          sample.min,
          sample.max,
          sample.rateBasis,
          sample.bounds ? JSON.stringify(sample.bounds) : null,
          sample.counts ? JSON.stringify(sample.counts) : null,
        );
      }
    }
    this.advance(db, point.ts, source);
  }

  /** Moves the source partition's watermark to `ts` (if later) and evaluates the ticks now complete. */
  advance(db: DatabaseSync, ts: number, source: RecordSource): void {
    const wall = this.#options.now();
    this.#arrivals.set(`${source.topic}/${source.partition}`, wall);
    db.prepare(
      `INSERT INTO alerting_partitions (topic, partition, watermark) VALUES (?, ?, ?)
       ON CONFLICT (topic, partition) DO UPDATE SET watermark = MAX(watermark, excluded.watermark)`,
    ).run(source.topic, source.partition, ts);
    const partitions = db.prepare('SELECT topic, partition, watermark FROM alerting_partitions').all() as {
      topic: string;
      partition: number;
      watermark: number;
    }[];
    const active = partitions.filter(
      (p) =>
        wall - (this.#arrivals.get(`${p.topic}/${p.partition}`) ?? this.#startedAt) < this.#options.idleMs,
    );
    const watermark = Math.min(...active.map((p) => p.watermark));
    writeMeta(db, 'watermark', Math.max(...partitions.map((p) => p.watermark)));
    const interval = this.#rules.evaluation_interval;
    let tick = readMeta(db, 'next_tick') ?? Math.ceil(watermark / interval) * interval;
    if ((watermark - tick) / interval > MAX_CATCH_UP_TICKS) {
      tick = Math.ceil((watermark - this.#lookback - 2 * interval) / interval) * interval;
    }
    while (tick + interval <= watermark) {
      this.evaluate(db, tick);
      tick += interval;
    }
    writeMeta(db, 'next_tick', tick);
  }

  /** Steps every alert of every rule at event time `at`, then lets the notification groups flush. */
  evaluate(db: DatabaseSync, at: number): void {
    for (const rule of this.#rules.rules) this.#evaluateRule(db, rule, at);
    db.prepare('DELETE FROM alerting_samples WHERE ts <= ?').run(
      at - this.#lookback - this.#rules.evaluation_interval,
    );
    flushGroups(db, at, this.#notify);
  }

  #evaluateRule(db: DatabaseSync, rule: Rule, at: number): void {
    const rows = db
      .prepare('SELECT * FROM alerting_samples WHERE rule = ? AND ts > ? AND ts <= ?')
      .all(rule.name, at - this.#lookback, at) as unknown as SampleRow[];
    const groups = new Map<string, { num: Sample[]; den: Sample[] }>();
    for (const r of rows) {
      let g = groups.get(r.grp);
      if (g === undefined) groups.set(r.grp, (g = { num: [], den: [] }));
      (r.side === 0 ? g.num : g.den).push(sampleFromRow(r));
    }
    const existing = new Map(readAlerts(db, 'WHERE rule = ?', rule.name).map((a) => [a.grp, a]));
    const keys = new Set([
      ...existing.keys(),
      ...[...groups].filter(([, g]) => (rule.over ? g.den : g.num).length > 0).map(([k]) => k),
    ]);
    for (const grp of keys) {
      const g = groups.get(grp) ?? { num: [], den: [] };
      const driving = rule.over ? g.den : g.num;
      const last = driving.reduce((m, s) => Math.max(m, s.ts), -Infinity);
      const inWindow = (list: Sample[]): Sample[] => list.filter((s) => s.ts > at - rule.window);
      let value = aggregate(rule.aggregation, inWindow(g.num), rule.window);
      if (rule.over) {
        const den = aggregate(rule.aggregation, inWindow(g.den), rule.window);
        value = den === undefined || den === 0 ? undefined : (value ?? 0) / den;
      }
      const prev = existing.get(grp);
      const { next, transition } = step(
        prev ?? INACTIVE,
        {
          at,
          value,
          holds: value !== undefined && compare(rule.op, value, rule.threshold),
          stale: at - last >= this.#rules.stale_after,
        },
        { forMs: rule.for, keepFiringForMs: rule.keep_firing_for },
      );
      if (prev === undefined && next.state === 'inactive') continue;
      const byValues = JSON.parse(grp) as string[];
      const labels = alertLabels(rule, byValues);
      const alert = {
        ...next,
        fingerprint: prev?.fingerprint ?? fingerprint(labels),
        rule: rule.name,
        grp,
        groupKey: groupKey(labels, this.#notify.groupBy),
        labels,
        annotations: renderAll(rule.annotations, next.value ?? undefined, labels),
        notifiedStartsAt: prev?.notifiedStartsAt ?? null,
      };
      writeAlert(db, alert);
      if (transition === undefined) continue;
      db.prepare(
        `INSERT INTO alerting_groups (group_key, first_pending_at) VALUES (?, ?)
         ON CONFLICT (group_key) DO UPDATE SET first_pending_at = COALESCE(first_pending_at, excluded.first_pending_at)`,
      ).run(alert.groupKey, at);
      if (transition.kind === 'resolved') {
        db.prepare(
          `INSERT OR IGNORE INTO alerting_resolves (group_key, fingerprint, starts_at, ends_at, labels, annotations)
           VALUES (?, ?, ?, ?, ?, ?)`,
        ).run(
          alert.groupKey,
          alert.fingerprint,
          transition.startsAt,
          transition.endsAt,
          JSON.stringify(labels),
          JSON.stringify(alert.annotations),
        );
      }
    }
  }
}

interface SampleRow {
  side: number;
  grp: string;
  ts: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  rate_basis: number;
  bounds: string | null;
  counts: string | null;
}

function sampleFromRow(r: SampleRow): Sample {
  return {
    ts: r.ts,
    count: r.count,
    sum: r.sum,
    min: r.min,
    max: r.max,
    rateBasis: r.rate_basis,
    ...(r.bounds === null ? {} : { bounds: JSON.parse(r.bounds) as number[] }),
    ...(r.counts === null ? {} : { counts: JSON.parse(r.counts) as number[] }),
  };
}

/** alertname, severity, the rule's labels, and the rule's `by` labels with this alert's values. */
export function alertLabels(rule: Rule, byValues: string[]): Record<string, string> {
  const labels: Record<string, string> = { alertname: rule.name, severity: rule.severity, ...rule.labels };
  rule.by.forEach((name, i) => (labels[name] = byValues[i] ?? ''));
  return sortKeys(labels);
}

export function sortKeys(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Stable id of an alert: a hash of its sorted labels (16 hex digits, like Alertmanager's). */
export function fingerprint(labels: Record<string, string>): string {
  return createHash('sha256')
    .update(JSON.stringify(sortKeys(labels)))
    .digest('hex')
    .slice(0, 16);
}

/** Alertmanager's group key form: `{}:{alertname="X",service="y"}` over the group_by labels. */
export function groupKey(labels: Record<string, string>, groupBy: string[]): string {
  const parts = groupBy.map((l) => `${l}=${JSON.stringify(labels[l] ?? '')}`);
  return `{}:{${parts.join(',')}}`;
}
