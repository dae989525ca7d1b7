// What the dashboard service sends (src/services/dashboard: entries.ts, history.ts, health-board.ts).

export interface MetricEntry {
  kind: 'metric';
  stream: string;
  partition: number;
  offset: number;
  t: number;
  service: string;
  series: string;
  name: string;
  unit?: string;
  type: 'sum' | 'gauge' | 'histogram';
  attributes: Record<string, string | number | boolean>;
  values: Record<string, number>;
}
export interface LogEntry {
  kind: 'log';
  t: number;
  service: string;
  level: string;
  message: string;
}
export interface EventEntry {
  kind: 'event';
  t: number;
  service: string;
  type: string;
}
export type Entry = MetricEntry | LogEntry | EventEntry;

export interface Summary<E> {
  count: number;
  counts: Record<string, number>;
  tail: E[];
}
export interface History {
  now: number;
  windowMs: number;
  lastEventId: string;
  series: {
    id: string;
    name: string;
    unit?: string;
    type: MetricEntry['type'];
    attributes: MetricEntry['attributes'];
    points: { t: number; values: Record<string, number> }[];
  }[];
  logs: Summary<LogEntry>;
  events: Summary<EventEntry>;
  /** Only for a window longer than the live one: the analytics service's rollups, or why there are none. */
  rollups?: Rollups;
}

export interface RollupPoint {
  t: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
}
export interface Rollups {
  source?: string;
  resolution?: string;
  error?: string;
  series: {
    name: string;
    attributes: MetricEntry['attributes'];
    /** From the live window; absent when the metric has no point in it. */
    type?: MetricEntry['type'];
    points: RollupPoint[];
  }[];
}

export interface ProducerStatus {
  stream: string;
  breaker: 'closed' | 'open' | 'half-open';
  bufferedRecords: number;
  bufferedBytes: number;
  sentRecords: number;
  dropped: Record<string, number>;
}
export interface ConsumerStatus {
  group: string;
  topic: string;
  lagRecords: number;
  lagSeconds: number;
}
export interface Health {
  at: number;
  supervisor: { present: boolean; reachable?: boolean; error?: string };
  buses: {
    name: string;
    kind: string;
    up: boolean;
    error?: string;
    rates: Record<string, number>;
    state?: string;
    restarts?: number;
  }[];
  components: {
    name: string;
    kind: string;
    up: boolean;
    error?: string;
    state?: string;
    pid?: number;
    restarts?: number;
    producers: ProducerStatus[];
    consumers: ConsumerStatus[];
  }[];
  alerts: {
    source?: string;
    error?: string;
    alerts: {
      rule: string;
      state: string;
      severity?: string;
      since?: number;
      value?: number;
      labels?: Record<string, string>;
      silenced?: boolean;
    }[];
    silences: { id: string; comment?: string; endsAt?: number; createdBy?: string }[];
  };
}
