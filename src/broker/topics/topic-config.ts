// Per-topic settings, in Kafka's names, with the broker's defaults behind them. Only settings that mean
// something on this broker are accepted; anything else is refused with INVALID_CONFIG and says why.
import type { BrokerConfig } from '../config.ts';

export interface TopicSettings {
  'retention.ms': number;
  'retention.bytes': number;
  'segment.bytes': number;
  'segment.ms': number;
  'max.message.bytes': number;
  'message.timestamp.type': 'CreateTime' | 'LogAppendTime';
  'cleanup.policy': 'delete';
  'min.insync.replicas': number;
}

export type TopicConfigName = keyof TopicSettings;

/** The settings a topic sets explicitly; the rest come from the broker's defaults. */
export type TopicOverrides = Partial<Record<TopicConfigName, string>>;

interface ConfigSpec {
  readonly type: 'long' | 'int' | 'string';
  readonly doc: string;
  readonly default: (broker: BrokerConfig) => string;
  /** Returns a reason when the value is not acceptable. */
  readonly check: (value: string) => string | undefined;
}

function integerCheck(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): string | undefined => {
    if (!/^-?[0-9]+$/.test(value)) return `"${value}" is not an integer`;
    const n = Number(value);
    if (n < min || n > max) return `${value} is outside ${min}..${max}`;
    return undefined;
  };
}

function oneOf(...allowed: string[]) {
  return (value: string): string | undefined =>
    allowed.includes(value) ? undefined : `"${value}" is not one of ${allowed.join(', ')}`;
}

export const TOPIC_CONFIGS: Readonly<Record<TopicConfigName, ConfigSpec>> = {
  'retention.ms': {
    type: 'long',
    doc: 'How long to keep a closed segment, by its newest record; -1 keeps everything.',
    default: (b) => String(b.retentionMs),
    check: integerCheck(-1),
  },
  'retention.bytes': {
    type: 'long',
    doc: 'Largest size of a partition before its oldest segments are deleted; -1 for no limit.',
    default: (b) => String(b.retentionBytes),
    check: integerCheck(-1),
  },
  'segment.bytes': {
    type: 'int',
    doc: 'Size at which a segment file is closed and a new one started.',
    default: (b) => String(b.segmentBytes),
    check: integerCheck(1024, 2 ** 31 - 1),
  },
  'segment.ms': {
    type: 'long',
    doc: 'Age at which a segment file is closed and a new one started.',
    default: (b) => String(b.segmentMs),
    check: integerCheck(1),
  },
  'max.message.bytes': {
    type: 'int',
    doc: 'Largest record batch the topic accepts.',
    default: (b) => String(b.messageMaxBytes),
    check: integerCheck(0, 2 ** 31 - 1),
  },
  'message.timestamp.type': {
    type: 'string',
    doc: 'CreateTime keeps the producer timestamp; LogAppendTime stamps batches with the broker clock.',
    default: () => 'CreateTime',
    check: oneOf('CreateTime', 'LogAppendTime'),
  },
  'cleanup.policy': {
    type: 'string',
    doc: 'Only "delete" (retention by time and size); this broker does not compact.',
    default: () => 'delete',
    check: oneOf('delete'),
  },
  'min.insync.replicas': {
    type: 'int',
    doc: 'Always 1 on a single-node broker.',
    default: () => '1',
    check: oneOf('1'),
  },
};

export function isTopicConfigName(name: string): name is TopicConfigName {
  return Object.hasOwn(TOPIC_CONFIGS, name);
}

/** Why a setting cannot be applied, or undefined when it can. */
export function topicConfigProblem(name: string, value: string | null): string | undefined {
  if (!isTopicConfigName(name)) {
    return `unknown or unsupported topic config "${name}" (supported: ${Object.keys(TOPIC_CONFIGS).join(', ')})`;
  }
  if (value === null) return undefined; // null resets to the default
  const reason = TOPIC_CONFIGS[name].check(value);
  return reason ? `invalid value for ${name}: ${reason}` : undefined;
}

export function effectiveTopicSettings(broker: BrokerConfig, overrides: TopicOverrides): TopicSettings {
  const value = (name: TopicConfigName): string => overrides[name] ?? TOPIC_CONFIGS[name].default(broker);
  return {
    'retention.ms': Number(value('retention.ms')),
    'retention.bytes': Number(value('retention.bytes')),
    'segment.bytes': Number(value('segment.bytes')),
    'segment.ms': Number(value('segment.ms')),
    'max.message.bytes': Number(value('max.message.bytes')),
    'message.timestamp.type': value('message.timestamp.type') as TopicSettings['message.timestamp.type'],
    'cleanup.policy': 'delete',
    'min.insync.replicas': 1,
  };
}
