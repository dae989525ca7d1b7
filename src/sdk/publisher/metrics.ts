// The publisher's Prometheus metrics. Several publishers (one per stream) share one registry: the stream
// label tells them apart.
import type { Counter, Gauge, Registry } from 'prom-client';
import { sharedCounter, sharedGauge } from '../shared-metrics.ts';
import type { BreakerState } from './breaker.ts';

export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

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
    this.dropped = sharedCounter(
      registry,
      'sluice_publisher_dropped_total',
      'Records lost by the publisher, counted where they were lost, by stream and reason',
      ['stream', 'reason'],
    );
    this.transitions = sharedCounter(
      registry,
      'sluice_publisher_breaker_transitions_total',
      'Circuit breaker transitions',
      ['stream', 'from', 'to'],
    );
    this.breakerState = sharedGauge(
      registry,
      'sluice_publisher_breaker_state',
      'Circuit breaker state: 0 closed, 1 half-open, 2 open',
      ['stream'],
    );
    this.bufferedBytes = sharedGauge(
      registry,
      'sluice_publisher_buffered_bytes',
      'Bytes of records buffered and not yet acknowledged by the bus',
      ['stream'],
    );
    this.bufferedRecords = sharedGauge(
      registry,
      'sluice_publisher_buffered_records',
      'Records buffered and not yet acknowledged by the bus',
      ['stream'],
    );
    this.sent = sharedCounter(
      registry,
      'sluice_publisher_sent_records_total',
      'Records acknowledged by the bus',
      ['stream'],
    );
    this.sendFailures = sharedCounter(
      registry,
      'sluice_publisher_send_failures_total',
      'Batch sends that failed or timed out',
      ['stream'],
    );
    this.quarantined = sharedCounter(
      registry,
      'sluice_publisher_quarantined_segments_total',
      'Corrupt disk-buffer segments moved aside to quarantine/',
      ['stream'],
    );
  }
}
