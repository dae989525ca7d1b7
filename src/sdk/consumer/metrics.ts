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
