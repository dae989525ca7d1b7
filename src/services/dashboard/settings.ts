// The dashboard's own settings in the topology (components.<name> with kind: dashboard).
import { z } from 'zod';

export const dashboardSettings = z.object({
  /** Streams whose records the dashboard shows (names of topology streams). */
  streams: z.array(z.string().min(1)).min(1).default(['metrics', 'logs', 'events']),
  /** Consumer group of the dashboard (default `sluice-dashboard-<component name>`). */
  group: z.string().min(1).optional(),
  /** How much history the live charts keep in memory and send on load. */
  liveWindowSeconds: z.number().int().min(10).max(86_400).default(300),
  /** How often the health board asks every bus, component and the supervisor. */
  healthIntervalMs: z.number().int().min(100).max(60_000).default(2000),
  /** Timeout of one health probe (a bus or component that does not answer in time is down). */
  probeTimeoutMs: z.number().int().min(50).max(30_000).default(1000),
  /** Upper bound of records held in the live window, whatever their age (memory bound). */
  maxWindowRecords: z.number().int().min(1000).max(10_000_000).default(500_000),
});
export type DashboardSettings = z.output<typeof dashboardSettings>;
