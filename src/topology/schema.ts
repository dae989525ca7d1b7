// The topology: which buses exist, which stream goes to which bus, and which components (consumer services
// and demo producers) run. Validated with zod; src/topology/load.ts turns zod's issues into messages that
// name the file, the path inside it and what was expected.
import { z } from 'zod';
import { alertingSettings } from '../services/alerting/settings.ts';
import { analyticsSettings } from '../services/analytics/settings.ts';
import { dashboardSettings } from '../services/dashboard/settings.ts';
import { demoSettings } from '../services/demo/settings.ts';

const port = z.number().int().min(0).max(65_535);
const name = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'a name of lowercase letters, digits and dashes');
const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port');

/** Sluice's embedded broker, run by `sluice up` as a child process. */
export const embeddedBus = z.strictObject({
  kind: z.literal('embedded'),
  /** Kafka listener on 127.0.0.1; 0 = a free port chosen at start. */
  port: port.default(0),
  /** The broker's /metrics and /healthz endpoint; 0 = a free port chosen at start. */
  adminPort: port.default(0),
  /** Default `<data dir>/buses/<bus name>`. */
  dataDir: z.string().min(1).optional(),
  /** `fsync` (every acknowledged batch on disk), `none` (page cache) or `interval:<ms>`. */
  durability: z
    .string()
    .regex(/^(fsync|none|interval:\d+)$/, 'fsync, none or interval:<ms>')
    .default('fsync'),
  retentionMs: z.number().int().positive().optional(),
  retentionBytes: z.number().int().positive().optional(),
});

/** An Apache Kafka cluster (or any Kafka-protocol bus) that is run by someone else. */
export const kafkaBus = z.strictObject({
  kind: z.literal('kafka'),
  bootstrap: z.array(hostPort).min(1),
  clientId: z.string().min(1).optional(),
  connectTimeoutMs: z.number().int().positive().optional(),
  requestTimeoutMs: z.number().int().positive().optional(),
  /** Replication factor of the topics `sluice up` creates (default 1). */
  replicationFactor: z.number().int().min(1).default(1),
});

export const bus = z.discriminatedUnion('kind', [embeddedBus, kafkaBus]);

export const bufferPolicy = z.strictObject({
  kind: z.enum(['memory', 'disk']),
  // The publisher needs room for two sealed batches (2 × its 512 KiB maxBatchBytes).
  maxBytes: z
    .number()
    .int()
    .min(1024 * 1024, 'at least 1048576 bytes (two 512 KiB batches)'),
  whenFull: z.enum(['block', 'drop_newest', 'drop_oldest']),
});

export const stream = z.strictObject({
  /** Name of the bus (a key of `buses`). */
  bus: name,
  topic: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'a Kafka topic name'),
  partitions: z.number().int().min(1).max(1024).default(3),
  acks: z.union([z.literal(-1), z.literal(0), z.literal(1)]).default(-1),
  lingerMs: z.number().int().min(0).optional(),
  buffer: bufferPolicy.default({ kind: 'memory', maxBytes: 64 * 1024 * 1024, whenFull: 'drop_oldest' }),
});

const common = {
  /** The component's HTTP endpoint (/healthz, /metrics, /status, and its own routes); 0 = a free port. */
  httpPort: port.default(0),
  enabled: z.boolean().default(true),
};

export const component = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('dashboard'), ...common, ...dashboardSettings.shape }),
  z.strictObject({ kind: z.literal('analytics'), ...common, ...analyticsSettings.shape }),
  z.strictObject({ kind: z.literal('alerting'), ...common, ...alertingSettings.shape }),
  z.strictObject({
    kind: z.enum(['frontend', 'db-monitor', 'payments', 'accounts']),
    ...common,
    ...demoSettings.shape,
  }),
]);

export const topology = z.strictObject({
  /** Where every bus, buffer and store keeps its files (default `./data`; `sluice up --data-dir` overrides). */
  dataDir: z.string().min(1).default('./data'),
  buses: z.record(name, bus).refine((b) => Object.keys(b).length > 0, 'at least one bus'),
  streams: z.record(name, stream).refine((s) => Object.keys(s).length > 0, 'at least one stream'),
  components: z.record(name, component).default({}),
});

export type EmbeddedBus = z.output<typeof embeddedBus>;
export type KafkaBus = z.output<typeof kafkaBus>;
export type Bus = z.output<typeof bus>;
export type BufferPolicy = z.output<typeof bufferPolicy>;
export type Stream = z.output<typeof stream>;
export type Component = z.output<typeof component>;
export type ComponentKind = Component['kind'];
export type Topology = z.output<typeof topology>;
/** A topology after `sluice up` resolved it: every port concrete, every directory absolute. */
export type ResolvedTopology = Topology & { readonly resolved: true };
