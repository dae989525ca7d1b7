// The analytics service's own settings in the topology (components.<name> with kind: analytics).
import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration: integer milliseconds, or a string such as `90s`, `30m`, `36h`, `7d`. */
export const duration = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 500ms, 90s, 30m, 36h or 7d')
    .transform((s) => {
      const [, n, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(s)!;
      return Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
    })
    .pipe(z.number().int().positive()),
]);

export const analyticsSettings = z.object({
  /** Metric streams to roll up (names of topology streams). */
  streams: z.array(z.string().min(1)).min(1).default(['metrics']),
  /** Consumer group (default `sluice-analytics-<component name>`; `-<stream>` appended with several streams). */
  group: z.string().min(1).optional(),
  /** Where rollups and consumed offsets live: SQLite under the component's data dir, or PostgreSQL. */
  store: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('sqlite'), path: z.string().min(1).optional() }),
      z.strictObject({
        kind: z.literal('postgres'),
        url: z.string().min(1),
        schema: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a plain SQL identifier: letters, digits, _')
          .optional(),
      }),
    ])
    .default({ kind: 'sqlite' }),
  /** How long each resolution's rollups are kept, by window start (durations). */
  retention: z
    .strictObject({
      '10s': duration.default(86_400_000),
      '1m': duration.default(7 * 86_400_000),
      '1h': duration.default(90 * 86_400_000),
    })
    .default({ '10s': 86_400_000, '1m': 7 * 86_400_000, '1h': 90 * 86_400_000 }),
  /** How often rollups past their retention are deleted. */
  retentionCheckInterval: duration.default(60_000),
  /** The sketch's relative accuracy α: quantiles are within α·|x| of the exact value (before bucketing). */
  relativeAccuracy: z.number().min(0.0001).max(0.1).default(0.01),
  /** Where records that are not valid telemetry go (default `<topic>.dlq`, created when missing). */
  deadLetterTopic: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,249}$/, 'a Kafka topic name')
    .optional(),
  /** Consumer session timeout; a killed instance's partitions move after this (default the SDK's). */
  sessionTimeoutMs: z.number().int().min(1000).optional(),
});
export type AnalyticsSettings = z.output<typeof analyticsSettings>;
