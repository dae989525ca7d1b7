// Where the runner is in each partition, and how far behind the log end that is: in records (high
// watermark - position) and in seconds (from record timestamps). Exported as prom-client gauges.
import type { Gauge, Registry } from 'prom-client';
import { sharedGauge } from '../shared-metrics.ts';
import type { IncomingRecord, TopicPartition, TopicPartitionOffset } from './bus.ts';
import type { PartitionLag } from './types.ts';

interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to handle; undefined until known (a record fetched, or an offset read from a sink). */
  position: bigint | undefined;
  /** Timestamp (ms) of the oldest fetched record not yet handled. */
  oldestPendingMs: bigint | undefined;
  lastHandledMs: bigint | undefined;
}

export const LAG_RECORDS = 'sluice_consumer_lag_records';
export const LAG_SECONDS = 'sluice_consumer_lag_seconds';

export const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

// Several consumers may share a registry: the gauge is made once, the group label tells them apart.
function gauge(registry: Registry, name: string, help: string): Gauge<'group' | 'topic' | 'partition'> {
  return sharedGauge(registry, name, help, ['group', 'topic', 'partition']);
}

export class LagTracker {
  readonly #partitions = new Map<string, PartitionState>();
  readonly #group: string;
  readonly #now: () => number;
  readonly #records: Gauge<'group' | 'topic' | 'partition'>;
  readonly #seconds: Gauge<'group' | 'topic' | 'partition'>;

  constructor(group: string, registry: Registry, now: () => number) {
    this.#group = group;
    this.#now = now;
    this.#records = gauge(
      registry,
      LAG_RECORDS,
      'Records between the consumer position and the high watermark',
    );
    this.#seconds = gauge(registry, LAG_SECONDS, 'Age of the oldest record the consumer has not handled yet');
  }

  assigned(partitions: TopicPartition[]): void {
    for (const { topic, partition } of partitions) this.#state(topic, partition);
  }

  revoked(partitions: TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      this.#partitions.delete(key(topic, partition));
      const labels = { group: this.#group, topic, partition: String(partition) };
      this.#records.remove(labels);
      this.#seconds.remove(labels);
    }
  }

  position(topic: string, partition: number): bigint | undefined {
    return this.#partitions.get(key(topic, partition))?.position;
  }

  /** Positions known, for the final commit. */
  positions(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const s of this.#partitions.values()) {
      if (s.position !== undefined) out.push({ topic: s.topic, partition: s.partition, offset: s.position });
    }
    return out;
  }

  seek(topic: string, partition: number, offset: bigint): void {
    this.#state(topic, partition).position = offset;
  }

  /** A batch arrived: its first record is where the runner stands if nothing told it otherwise. */
  fetched(records: IncomingRecord[]): void {
    const first = records[0];
    if (first === undefined) return;
    const s = this.#state(first.topic, first.partition);
    s.position ??= first.offset;
    s.oldestPendingMs = records.find((r) => s.position === undefined || r.offset >= s.position)?.timestamp;
  }

  handled(record: IncomingRecord, next: IncomingRecord | undefined): void {
    const s = this.#state(record.topic, record.partition);
    s.position = record.offset + 1n;
    s.lastHandledMs = record.timestamp;
    s.oldestPendingMs = next?.timestamp;
  }

  /** Lag of each partition with a known position against `highWatermarks`; updates the gauges. */
  measure(highWatermarks: TopicPartitionOffset[]): PartitionLag[] {
    const out: PartitionLag[] = [];
    const nowMs = this.#now();
    for (const hwm of highWatermarks) {
      const s = this.#partitions.get(key(hwm.topic, hwm.partition));
      if (s?.position === undefined) continue;
      const records = hwm.offset > s.position ? hwm.offset - s.position : 0n;
      const since = s.oldestPendingMs ?? s.lastHandledMs;
      const seconds = records > 0n && since !== undefined ? Math.max(0, (nowMs - Number(since)) / 1000) : 0;
      out.push({
        topic: s.topic,
        partition: s.partition,
        position: s.position,
        highWatermark: hwm.offset,
        records,
        seconds,
      });
      const labels = { group: this.#group, topic: s.topic, partition: String(s.partition) };
      this.#records.set(labels, Number(records));
      this.#seconds.set(labels, seconds);
    }
    return out;
  }

  #state(topic: string, partition: number): PartitionState {
    const k = key(topic, partition);
    let s = this.#partitions.get(k);
    if (s === undefined) {
      s = { topic, partition, position: undefined, oldestPendingMs: undefined, lastHandledMs: undefined };
      this.#partitions.set(k, s);
    }
    return s;
  }
}
