// Broker settings: defaults, then a config file, then command-line flags, validated in one place with zod so
// every invalid value is refused with the setting's name.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, describeZodError } from '../config/errors.ts';
import type { Durability } from './log/index.ts';

export type { Durability };

const MiB = 1024 * 1024;

/** `fsync`, `none`, or `interval:<ms>`. */
const durabilitySchema = z
  .string()
  .regex(/^(fsync|none|interval:[1-9][0-9]*)$/, 'expected "fsync", "none" or "interval:<milliseconds>"');

const millisOrUnlimited = z.number().int().min(-1, 'expected -1 (unlimited) or a non-negative number');

export const brokerConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(9092),
    advertisedHost: z.string().min(1).optional(),
    advertisedPort: z.number().int().min(1).max(65535).optional(),
    nodeId: z.number().int().min(0).default(1),
    dataDir: z.string().min(1).default('./data'),
    defaultPartitions: z.number().int().min(1).max(10000).default(1),
    autoCreateTopics: z.boolean().default(true),
    durability: durabilitySchema.default('fsync'),
    retentionMs: millisOrUnlimited.default(7 * 24 * 3600 * 1000),
    retentionBytes: millisOrUnlimited.default(-1),
    segmentBytes: z
      .number()
      .int()
      .min(1024)
      .max(2 ** 31 - 1)
      .default(1024 * MiB),
    segmentMs: z
      .number()
      .int()
      .min(1)
      .default(7 * 24 * 3600 * 1000),
    maxFrameBytes: z
      .number()
      .int()
      .min(1024)
      .max(2 ** 31 - 1)
      .default(100 * MiB),
    messageMaxBytes: z.number().int().min(1024).default(1048588),
    retentionCheckIntervalMs: z
      .number()
      .int()
      .min(10)
      .default(5 * 60 * 1000),
    adminPort: z.number().int().min(0).max(65535).optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Compact the committed-offsets file once it is this big and at least half dead entries. */
    offsetsCompactAfterBytes: z
      .number()
      .int()
      .min(1024)
      .default(16 * MiB),
    /** Idempotent producers idle this long are forgotten (Kafka's producer.id.expiration.ms, 1 day). */
    producerIdExpirationMs: z
      .number()
      .int()
      .min(1)
      .default(24 * 3600 * 1000),
    /** A new group waits this long for more members before its first generation (group.initial.rebalance.delay.ms). */
    groupInitialRebalanceDelayMs: z.number().int().min(0).max(300_000).default(100),
    /** JoinGroup session timeouts outside these bounds get INVALID_SESSION_TIMEOUT (Kafka's defaults). */
    groupMinSessionTimeoutMs: z.number().int().min(1).default(6000),
    groupMaxSessionTimeoutMs: z
      .number()
      .int()
      .min(1)
      .max(2 ** 31 - 1)
      .default(30 * 60 * 1000),
  })
  .strict()
  .refine((c) => c.groupMinSessionTimeoutMs <= c.groupMaxSessionTimeoutMs, {
    message: 'groupMinSessionTimeoutMs must not exceed groupMaxSessionTimeoutMs',
    path: ['groupMinSessionTimeoutMs'],
  });

export type BrokerConfig = z.output<typeof brokerConfigSchema>;
export type BrokerConfigInput = z.input<typeof brokerConfigSchema>;

export function parseDurability(value: string): Durability {
  if (value === 'fsync' || value === 'none') return { mode: value };
  return { mode: 'interval', intervalMs: Number(value.slice('interval:'.length)) };
}

/** Validates settings from code (startBroker) or merged from file and flags. */
export function resolveBrokerConfig(input: BrokerConfigInput, source = 'broker options'): BrokerConfig {
  const result = brokerConfigSchema.safeParse(input);
  if (!result.success) throw describeZodError(result.error, source);
  return result.data;
}

/** Reads a YAML or JSON broker config file; its keys are the same as the options of startBroker. */
export async function loadBrokerConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read broker config file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`broker config file ${path} is not valid YAML or JSON: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`broker config file ${path} must hold a mapping of settings, got ${typeof parsed}`);
  }
  return parsed as Record<string, unknown>;
}
