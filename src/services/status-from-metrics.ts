// A component's producer and consumer health, read back from the metrics the SDK registers (publisher:
// breaker, buffer, sends, drops per stream; consumer: lag per partition). Reading the registry means a
// service reports its SDK state without wiring every publisher and consumer to its status endpoint.
import type { MetricValue, Registry } from 'prom-client';
import type { ComponentStatus, ConsumerStatus, ProducerStreamStatus } from './runtime.ts';

type Values = MetricValue<string>[];
const BREAKER = ['closed', 'half-open', 'open'] as const;

async function values(registry: Registry, name: string): Promise<Values> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return [];
  const got = await metric.get();
  return got.values;
}

function label(value: MetricValue<string>, name: string): string {
  return String(value.labels[name] ?? '');
}

export async function readComponentMetrics(
  registry: Registry,
): Promise<Pick<ComponentStatus, 'producers' | 'consumers'>> {
  const producers = new Map<string, ProducerStreamStatus>();
  const producer = (stream: string): ProducerStreamStatus => {
    let p = producers.get(stream);
    if (p === undefined) {
      p = { stream, breaker: 'closed', bufferedRecords: 0, bufferedBytes: 0, sentRecords: 0, dropped: {} };
      producers.set(stream, p);
    }
    return p;
  };
  for (const v of await values(registry, 'sluice_publisher_breaker_state'))
    producer(label(v, 'stream')).breaker = BREAKER[v.value] ?? 'open';
  for (const v of await values(registry, 'sluice_publisher_buffered_records'))
    producer(label(v, 'stream')).bufferedRecords = v.value;
  for (const v of await values(registry, 'sluice_publisher_buffered_bytes'))
    producer(label(v, 'stream')).bufferedBytes = v.value;
  for (const v of await values(registry, 'sluice_publisher_sent_records_total'))
    producer(label(v, 'stream')).sentRecords = v.value;
  for (const v of await values(registry, 'sluice_publisher_dropped_total')) {
    const p = producer(label(v, 'stream'));
    p.dropped[label(v, 'reason')] = v.value;
  }

  const consumers = new Map<string, ConsumerStatus>();
  const lagSeconds = new Map<string, number>();
  for (const v of await values(registry, 'sluice_consumer_lag_seconds'))
    lagSeconds.set(`${label(v, 'group')}\0${label(v, 'topic')}\0${label(v, 'partition')}`, v.value);
  for (const v of await values(registry, 'sluice_consumer_lag_records')) {
    const group = label(v, 'group');
    const topic = label(v, 'topic');
    const key = `${group}\0${topic}`;
    let c = consumers.get(key);
    if (c === undefined) {
      c = { group, topic, lagRecords: 0, lagSeconds: 0, partitions: [] };
      consumers.set(key, c);
    }
    const seconds = lagSeconds.get(`${key}\0${label(v, 'partition')}`) ?? 0;
    c.partitions.push({ partition: Number(label(v, 'partition')), lagRecords: v.value, lagSeconds: seconds });
    c.lagRecords += v.value;
    c.lagSeconds = Math.max(c.lagSeconds, seconds);
  }
  for (const c of consumers.values()) c.partitions.sort((a, b) => a.partition - b.partition);
  return { producers: [...producers.values()], consumers: [...consumers.values()] };
}
