// Counters of records that failed their handler (retries, and where they went after the last attempt).
import { Counter, type Registry } from 'prom-client';

export interface FailureCounters {
  retries: Counter<'group' | 'topic'>;
  failed: Counter<'group' | 'topic' | 'outcome'>;
}

function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function failureCounters(registry: Registry): FailureCounters {
  return {
    retries: counter(registry, 'sluice_consumer_retries_total', 'Handler attempts retried', [
      'group',
      'topic',
    ]),
    failed: counter(
      registry,
      'sluice_consumer_failed_records_total',
      'Records that failed every attempt, by outcome (dead_lettered or skipped)',
      ['group', 'topic', 'outcome'],
    ),
  };
}

/** Rebuilds of the bus consumer after the bus was lost (one per attempt). */
export function reconnectCounter(registry: Registry): Counter<'group'> {
  return counter(
    registry,
    'sluice_consumer_reconnects_total',
    'Attempts to rebuild the bus consumer after a retriable bus failure',
    ['group'],
  );
}
