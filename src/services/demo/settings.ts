// Settings shared by the demo producers (kinds frontend, db-monitor, payments, accounts).
import { z } from 'zod';

export const DEMO_STREAMS = ['metrics', 'logs', 'events'] as const;
export type DemoStream = (typeof DEMO_STREAMS)[number];

export const demoSettings = z.object({
  /**
   * SDK stream → topology stream (default: metrics → metrics, logs → logs, events → events). A kind only
   * opens the streams it uses (frontend and db-monitor: metrics and logs), so those are the only ones it
   * needs here.
   */
  publishes: z
    .partialRecord(z.enum(DEMO_STREAMS), z.string().min(1))
    .default({ metrics: 'metrics', logs: 'logs', events: 'events' }),
  /** Generated load: requests (front ends), workload queries (db-monitor) or business operations per second. */
  rate: z.number().min(0).max(100_000).default(20),
  /** Seed of the generators, so a run can be replayed; default a fresh one per start. */
  seed: z.number().int().min(0).max(0xffff_ffff).optional(),
  /** frontend: the application's own HTTP port on 127.0.0.1 (0 = a free port, shown in /status). */
  appPort: z.number().int().min(0).max(65_535).default(0),
  /** frontend: share of requests answered with a 500. */
  errorRate: z.number().min(0).max(1).default(0.02),
  /** frontend: a request slower than this is logged as slow; db-monitor: the same for a query. */
  slowMs: z.number().min(0).default(250),
  /** db-monitor only: watch this PostgreSQL (pg_stat_database, pg_stat_activity) instead of SQLite. */
  postgresUrl: z.string().min(1).optional(),
  /** Metrics export interval of the SDK (default 1 s, so the dashboard moves). */
  exportIntervalMs: z.number().int().min(100).default(1000),
});
export type DemoSettings = z.output<typeof demoSettings>;
