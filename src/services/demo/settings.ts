// Settings shared by the demo producers (kinds frontend, db-monitor, payments, accounts).
import { z } from 'zod';

export const demoSettings = z.object({
  /** SDK stream → topology stream (default: metrics → metrics, logs → logs, events → events). */
  publishes: z
    .record(z.enum(['metrics', 'logs', 'events']), z.string().min(1))
    .default({ metrics: 'metrics', logs: 'logs', events: 'events' }),
  /** Generated load: requests (front ends) or business operations (payments, accounts) per second. */
  rate: z.number().min(0).max(100_000).default(20),
  /** db-monitor only: watch this PostgreSQL instead of the embedded database. */
  postgresUrl: z.string().min(1).optional(),
  /** Metrics export interval of the SDK (default 1 s, so the dashboard moves). */
  exportIntervalMs: z.number().int().min(100).default(1000),
});
export type DemoSettings = z.output<typeof demoSettings>;
