// The analytics service's own settings in the topology (components.<name> with kind: analytics).
import { z } from 'zod';

export const analyticsSettings = z.object({
  /** Metric streams to roll up (names of topology streams). */
  streams: z.array(z.string().min(1)).min(1).default(['metrics']),
  /** Consumer group (default `sluice-analytics-<component name>`). */
  group: z.string().min(1).optional(),
  /** Where rollups and consumed offsets live: SQLite under the component's data dir, or PostgreSQL. */
  store: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('sqlite'), path: z.string().min(1).optional() }),
      z.strictObject({
        kind: z.literal('postgres'),
        url: z.string().min(1),
        schema: z.string().min(1).optional(),
      }),
    ])
    .default({ kind: 'sqlite' }),
});
export type AnalyticsSettings = z.output<typeof analyticsSettings>;
