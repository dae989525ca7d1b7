// Silences: label matchers over a time range. A silenced alert is still evaluated and shown (silenced:
// true) but its firing notification is held back; a resolve goes out for every alert whose firing was sent.
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';

const matcher = z.strictObject({
  name: z.string().min(1),
  value: z.string(),
  isRegex: z.boolean().default(false),
  /** Alertmanager's field: false means "not equal" / "not matching". */
  isEqual: z.boolean().default(true),
});

export const silenceInput = z
  .strictObject({
    matchers: z.array(matcher).min(1, 'at least one matcher'),
    startsAt: z.number().int().min(0),
    endsAt: z.number().int().min(0),
    comment: z.string().default(''),
    createdBy: z.string().default(''),
  })
  .superRefine((s, ctx) => {
    if (s.endsAt <= s.startsAt)
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
    for (const [i, m] of s.matchers.entries()) {
      if (!m.isRegex) continue;
      try {
        new RegExp(`^(?:${m.value})$`);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['matchers', i, 'value'], message: (error as Error).message });
      }
    }
  });
export type SilenceInput = z.output<typeof silenceInput>;
export type SilenceMatcher = SilenceInput['matchers'][number];

export interface Silence extends SilenceInput {
  id: string;
}

interface RawSilence {
  id: string;
  matchers: string;
  starts_at: number;
  ends_at: number;
  comment: string;
  created_by: string;
}

export function listSilences(db: DatabaseSync, activeAt?: number): Silence[] {
  const rows = (activeAt === undefined
    ? db.prepare('SELECT * FROM alerting_silences ORDER BY created_at, id').all()
    : db
        .prepare(
          'SELECT * FROM alerting_silences WHERE starts_at <= ? AND ends_at > ? ORDER BY created_at, id',
        )
        .all(activeAt, activeAt)) as unknown as RawSilence[];
  return rows.map((r) => ({
    id: r.id,
    matchers: JSON.parse(r.matchers) as SilenceMatcher[],
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    comment: r.comment,
    createdBy: r.created_by,
  }));
}

export function insertSilence(db: DatabaseSync, s: SilenceInput, now: number): string {
  const id = randomUUID();
  db.prepare(
    'INSERT INTO alerting_silences (id, matchers, starts_at, ends_at, comment, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(id, JSON.stringify(s.matchers), s.startsAt, s.endsAt, s.comment, s.createdBy, now);
  return id;
}

export function deleteSilence(db: DatabaseSync, id: string): boolean {
  return db.prepare('DELETE FROM alerting_silences WHERE id = ?').run(id).changes > 0;
}

export function silenceMatches(silence: Silence, labels: Record<string, string>): boolean {
  return silence.matchers.every((m) => {
    const actual = labels[m.name] ?? '';
    const hit = m.isRegex ? new RegExp(`^(?:${m.value})$`).test(actual) : actual === m.value;
    return hit === m.isEqual;
  });
}

export function isSilenced(silences: Silence[], labels: Record<string, string>): boolean {
  return silences.some((s) => silenceMatches(s, labels));
}
