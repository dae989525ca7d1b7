// The alerting service's own settings in the topology (components.<name> with kind: alerting).
import { z } from 'zod';

export const alertingSettings = z.object({
  /** Metric streams the rules read (names of topology streams). */
  streams: z.array(z.string().min(1)).min(1).default(['metrics']),
  /** Consumer group (default `sluice-alerting-<component name>`). */
  group: z.string().min(1).optional(),
  /** Rules file (YAML); relative to the topology file. Default: the built-in demo rules. */
  rulesFile: z.string().min(1).optional(),
  /** Webhook receivers (Alertmanager-compatible JSON); notifications also go to the console (the log). */
  webhooks: z.array(z.url()).default([]),
  /** Where records that are not valid telemetry go (default `<topic>.dlq`, created when missing). */
  deadLetterTopic: z.string().min(1).optional(),
  /** Consumer lag (seconds behind the newest record) past which every rule shows no-data. */
  maxLagSeconds: z.number().positive().default(60),
  /** A partition with no record for this long (ms) no longer holds event-time evaluation back. */
  partitionIdleMs: z.number().int().positive().default(30_000),
  /** Consumer group session timeout (ms): how soon a crashed instance's partitions move. */
  sessionTimeoutMs: z.number().int().positive().optional(),
});
export type AlertingSettings = z.output<typeof alertingSettings>;
