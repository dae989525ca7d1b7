// The publisher's Prometheus metrics. Several publishers (one per stream) share one registry: a metric
// already registered under the name is reused, so the stream label tells them apart.
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { BreakerState } from './breaker.ts';

export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

function reuse<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export class PublisherMetrics {
  readonly dropped: Counter<'stream' | 'reason'>;
  readonly transitions: Counter<'stream' | 'from' | 'to'>;
  readonly breakerState: Gauge<'stream'>;
  readonly bufferedBytes: Gauge<'stream'>;
  readonly bufferedRecords: Gauge<'stream'>;
  readonly sent: Counter<'stream'>;
  readonly sendFailures: Counter<'stream'>;
  readonly quarantined: Counter<'stream'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.dropped = reuse(
      registry,
      'sluice_publisher_dropped_total',
      () =>
        new Counter({
          name: 'sluice_publisher_dropped_total',
          help: 'Records lost by the publisher, counted where they were lost, by stream and reason',
          labelNames: ['stream', 'reason'] as const,
          registers,
        }),
    );
    this.transitions = reuse(
      registry,
      'sluice_publisher_breaker_transitions_total',
      () =>
        new Counter({
          name: 'sluice_publisher_breaker_transitions_total',
          help: 'Circuit breaker transitions',
          labelNames: ['stream', 'from', 'to'] as const,
          registers,
        }),
    );
    this.breakerState = reuse(
      registry,
      'sluice_publisher_breaker_state',
      () =>
        new Gauge({
          name: 'sluice_publisher_breaker_state',
          help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
          labelNames: ['stream'] as const,
          registers,
        }),
    );
    this.bufferedBytes = reuse(
      registry,
      'sluice_publisher_buffered_bytes',
      () =>
        new Gauge({
          name: 'sluice_publisher_buffered_bytes',
          help: 'Bytes of records buffered and not yet acknowledged by the bus',
          labelNames: ['stream'] as const,
          registers,
        }),
    );
    this.bufferedRecords = reuse(
      registry,
      'sluice_publisher_buffered_records',
      () =>
        new Gauge({
          name: 'sluice_publisher_buffered_records',
          help: 'Records buffered and not yet acknowledged by the bus',
          labelNames: ['stream'] as const,
          registers,
        }),
    );
    this.sent = reuse(
      registry,
      'sluice_publisher_sent_records_total',
      () =>
        new Counter({
          name: 'sluice_publisher_sent_records_total',
          help: 'Records acknowledged by the bus',
          labelNames: ['stream'] as const,
          registers,
        }),
    );
    this.sendFailures = reuse(
      registry,
      'sluice_publisher_send_failures_total',
      () =>
        new Counter({
          name: 'sluice_publisher_send_failures_total',
          help: 'Batch sends that failed or timed out',
          labelNames: ['stream'] as const,
          registers,
        }),
    );
    this.quarantined = reuse(
      registry,
      'sluice_publisher_quarantined_segments_total',
      () =>
        new Counter({
          name: 'sluice_publisher_quarantined_segments_total',
          help: 'Corrupt disk-buffer segments moved aside to quarantine/',
          labelNames: ['stream'] as const,
          registers,
        }),
    );
  }
}
