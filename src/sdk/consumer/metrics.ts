// Counters of records that failed their handler (retries, and where they went after the last attempt).
import type { Counter, Registry } from 'prom-client';
import { sharedCounter } from '../shared-metrics.ts';

export interface FailureCounters {
  retries: Counter<'group' | 'topic'>;
  failed: Counter<'group' | 'topic' | 'outcome'>;
}

export function failureCounters(registry: Registry): FailureCounters {
  return {
    retries: sharedCounter(registry, 'sluice_consumer_retries_total', 'Handler attempts retried', [
      'group',
      'topic',
    ]),
    failed: sharedCounter(
      registry,
      'sluice_consumer_failed_records_total',
      'Records that failed every attempt, by outcome (dead_lettered or skipped)',
      ['group', 'topic', 'outcome'],
    ),
  };
}

/** Rebuilds of the bus consumer after the bus was lost (one per attempt). */
export function reconnectCounter(registry: Registry): Counter<'group'> {
  return sharedCounter(
    registry,
    'sluice_consumer_reconnects_total',
    'Attempts to rebuild the bus consumer after a retriable bus failure',
    ['group'],
  );
}
