// The dashboard's own settings in the topology (components.<name> with kind: dashboard).
import { z } from 'zod';

export const dashboardSettings = z.object({
  /** Streams whose records the dashboard shows (names of topology streams). */
  streams: z.array(z.string().min(1)).min(1).default(['metrics', 'logs', 'events']),
  /** Consumer group of the dashboard (default `sluice-dashboard-<component name>`). */
  group: z.string().min(1).optional(),
  /** How much history the live charts keep in memory and send on load. */
  liveWindowSeconds: z.number().int().min(10).max(86_400).default(300),
});
export type DashboardSettings = z.output<typeof dashboardSettings>;
