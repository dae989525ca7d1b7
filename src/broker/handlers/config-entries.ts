// The configuration views the admin APIs share: a topic's settings as Kafka config entries (value, where it
// comes from, its broker-level synonym), the broker's own settings under their Kafka names, and the
// validation of a set of topic overrides. CreateTopics, DescribeConfigs, AlterConfigs and
// IncrementalAlterConfigs all go through here so they agree on names, sources and messages.
import { brokerConfigSchema, type BrokerConfig } from '../config.ts';
import {
  TOPIC_CONFIGS,
  topicConfigProblem,
  type TopicConfigName,
  type TopicOverrides,
} from '../topics/topic-config.ts';

/** ConfigResource.Type on the wire. */
export const ResourceType = { TOPIC: 2, BROKER: 4 } as const;

/** DescribeConfigs ConfigSource values (Kafka's DescribeConfigsResponse.ConfigSource). */
export const ConfigSource = {
  DYNAMIC_TOPIC_CONFIG: 1,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

/** DescribeConfigs ConfigType values (v3+). */
export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, LIST: 7 } as const;

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string;
  readonly source: number;
}

export interface ConfigEntry {
  readonly name: string;
  readonly value: string;
  readonly source: number;
  readonly readOnly: boolean;
  readonly type: number;
  readonly documentation: string;
  /** Most specific first, as Kafka orders them: the entry itself, then the broker settings behind it. */
  readonly synonyms: readonly ConfigSynonym[];
}

const TYPE_CODE = { long: ConfigType.LONG, int: ConfigType.INT, string: ConfigType.STRING } as const;

/**
 * The broker-wide setting each topic config falls back to, named as Kafka names it, and how to read it
 * from our config. Settings without a broker knob here (fixed on this broker) read as built-in defaults.
 */
const BROKER_SYNONYM: Readonly<Record<TopicConfigName, string>> = {
  'retention.ms': 'log.retention.ms',
  'retention.bytes': 'log.retention.bytes',
  'segment.bytes': 'log.segment.bytes',
  'segment.ms': 'log.roll.ms',
  'max.message.bytes': 'message.max.bytes',
  'message.timestamp.type': 'log.message.timestamp.type',
  'cleanup.policy': 'log.cleanup.policy',
  'min.insync.replicas': 'min.insync.replicas',
};

/** The broker's settings that have a Kafka name, in the order DescribeConfigs lists them. */
interface BrokerSetting {
  readonly name: string;
  readonly type: number;
  readonly doc: string;
  readonly value: (config: BrokerConfig) => string;
}

const BROKER_SETTINGS: readonly BrokerSetting[] = [
  {
    name: 'node.id',
    type: ConfigType.INT,
    doc: 'The id of this broker (--node-id).',
    value: (c) => String(c.nodeId),
  },
  {
    name: 'broker.id',
    type: ConfigType.INT,
    doc: 'Same as node.id (older name).',
    value: (c) => String(c.nodeId),
  },
  {
    name: 'log.dirs',
    type: ConfigType.STRING,
    doc: 'The data directory (--data-dir).',
    value: (c) => c.dataDir,
  },
  {
    name: 'num.partitions',
    type: ConfigType.INT,
    doc: 'Partitions of a topic created without a count, or auto-created (--default-partitions).',
    value: (c) => String(c.defaultPartitions),
  },
  {
    name: 'default.replication.factor',
    type: ConfigType.INT,
    doc: 'Always 1: a single-node broker.',
    value: () => '1',
  },
  {
    name: 'auto.create.topics.enable',
    type: ConfigType.BOOLEAN,
    doc: 'Whether Metadata requests may create unknown topics (--auto-create-topics).',
    value: (c) => String(c.autoCreateTopics),
  },
  {
    name: 'log.retention.ms',
    type: ConfigType.LONG,
    doc: 'Default retention.ms of topics; -1 keeps everything.',
    value: (c) => String(c.retentionMs),
  },
  {
    name: 'log.retention.bytes',
    type: ConfigType.LONG,
    doc: 'Default retention.bytes of topics; -1 for no limit.',
    value: (c) => String(c.retentionBytes),
  },
  {
    name: 'log.segment.bytes',
    type: ConfigType.INT,
    doc: 'Default segment.bytes of topics.',
    value: (c) => String(c.segmentBytes),
  },
  {
    name: 'log.roll.ms',
    type: ConfigType.LONG,
    doc: 'Default segment.ms of topics.',
    value: (c) => String(c.segmentMs),
  },
  {
    name: 'log.retention.check.interval.ms',
    type: ConfigType.LONG,
    doc: 'How often retention runs.',
    value: (c) => String(c.retentionCheckIntervalMs),
  },
  {
    name: 'message.max.bytes',
    type: ConfigType.INT,
    doc: 'Default max.message.bytes of topics.',
    value: (c) => String(c.messageMaxBytes),
  },
  {
    name: 'socket.request.max.bytes',
    type: ConfigType.INT,
    doc: 'Largest request frame accepted; larger ones close the connection.',
    value: (c) => String(c.maxFrameBytes),
  },
  {
    name: 'log.message.timestamp.type',
    type: ConfigType.STRING,
    doc: 'Default message.timestamp.type of topics.',
    value: () => 'CreateTime',
  },
  {
    name: 'log.cleanup.policy',
    type: ConfigType.LIST,
    doc: 'Always "delete": this broker does not compact.',
    value: () => 'delete',
  },
  {
    name: 'min.insync.replicas',
    type: ConfigType.INT,
    doc: 'Always 1: a single-node broker.',
    value: () => '1',
  },
];

const BUILT_IN_DEFAULTS: BrokerConfig = brokerConfigSchema.parse({});

/** STATIC_BROKER_CONFIG when the operator set a value other than the built-in default, else DEFAULT_CONFIG. */
function brokerSource(setting: BrokerSetting, config: BrokerConfig): number {
  return setting.value(config) === setting.value(BUILT_IN_DEFAULTS)
    ? ConfigSource.DEFAULT_CONFIG
    : ConfigSource.STATIC_BROKER_CONFIG;
}

/** A broker resource is named by its node id; "" means the cluster-wide default, which is the same here. */
export function brokerNameProblem(nodeId: number, name: string): string | undefined {
  if (name === '' || name === String(nodeId)) return undefined;
  return `unexpected broker id "${name}": this broker is ${nodeId} (or use "" for the default)`;
}

const brokerSettingByName = new Map(BROKER_SETTINGS.map((s) => [s.name, s]));

/** Every setting of the broker under its Kafka name. All read-only: they change by restart only. */
export function brokerConfigEntries(config: BrokerConfig): ConfigEntry[] {
  return BROKER_SETTINGS.map((s) => {
    const value = s.value(config);
    const source = brokerSource(s, config);
    return {
      name: s.name,
      value,
      source,
      readOnly: true,
      type: s.type,
      documentation: s.doc,
      synonyms: [{ name: s.name, value, source }],
    };
  });
}

/** Every supported config of a topic: its override when it has one, else the broker's default. */
export function topicConfigEntries(config: BrokerConfig, overrides: TopicOverrides): ConfigEntry[] {
  return (Object.keys(TOPIC_CONFIGS) as TopicConfigName[]).map((name) => {
    const spec = TOPIC_CONFIGS[name];
    const brokerName = BROKER_SYNONYM[name];
    const brokerSetting = brokerSettingByName.get(brokerName);
    const brokerValue = spec.default(config);
    const brokerSynonym: ConfigSynonym = {
      name: brokerName,
      value: brokerValue,
      source: brokerSetting ? brokerSource(brokerSetting, config) : ConfigSource.DEFAULT_CONFIG,
    };
    const override = overrides[name];
    const synonyms =
      override === undefined
        ? [brokerSynonym]
        : [{ name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG }, brokerSynonym];
    return {
      name,
      value: override ?? brokerValue,
      source: override === undefined ? ConfigSource.DEFAULT_CONFIG : ConfigSource.DYNAMIC_TOPIC_CONFIG,
      readOnly: false,
      type: TYPE_CODE[spec.type],
      documentation: spec.doc,
      synonyms,
    };
  });
}

export type OverridesCheck =
  | { readonly ok: true; readonly overrides: TopicOverrides }
  | {
      readonly ok: false;
      readonly errorCode: 'INVALID_CONFIG' | 'INVALID_REQUEST';
      readonly message: string;
    };

/**
 * Validates a full set of topic overrides as a request gives them. A null value means "not set" (the
 * default applies); a name given twice is refused rather than guessing which one was meant.
 */
export function checkOverrides(configs: readonly { name: string; value: string | null }[]): OverridesCheck {
  const overrides: TopicOverrides = {};
  const seen = new Set<string>();
  for (const { name, value } of configs) {
    if (seen.has(name)) {
      return { ok: false, errorCode: 'INVALID_REQUEST', message: `config "${name}" is given more than once` };
    }
    seen.add(name);
    const problem = topicConfigProblem(name, value);
    if (problem !== undefined) return { ok: false, errorCode: 'INVALID_CONFIG', message: problem };
    if (value !== null) overrides[name as TopicConfigName] = value;
  }
  return { ok: true, overrides };
}
