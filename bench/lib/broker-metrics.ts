// Reads a few counters from the broker's Prometheus endpoint (`--admin-port`), so a phase can report how many
// fsyncs the broker did (group commit at work: records per fsync), their mean latency, and its CPU time; and
// where its memory is (V8 heap, and `external`: Buffers outside the heap) to explain its RSS.
export interface BrokerCounters {
  fsyncs: number;
  fsyncSeconds: number;
  cpuSeconds: number;
  produceRequests: number;
  fetchRequests: number;
  /** Gauges: the value at the reading (a delta keeps the later one). */
  heapTotalBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
}

export async function readBrokerCounters(adminPort: number): Promise<BrokerCounters> {
  const response = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  const text = await response.text();
  return {
    fsyncs: sumOf(text, 'sluice_broker_fsync_seconds_count'),
    fsyncSeconds: sumOf(text, 'sluice_broker_fsync_seconds_sum'),
    cpuSeconds: sumOf(text, 'sluice_broker_process_cpu_seconds_total'),
    produceRequests: sumOf(text, 'sluice_broker_requests_total', 'api="Produce"'),
    fetchRequests: sumOf(text, 'sluice_broker_requests_total', 'api="Fetch"'),
    heapTotalBytes: sumOf(text, 'sluice_broker_nodejs_heap_size_total_bytes'),
    heapUsedBytes: sumOf(text, 'sluice_broker_nodejs_heap_size_used_bytes'),
    externalBytes: sumOf(text, 'sluice_broker_nodejs_external_memory_bytes'),
  };
}

/** What happened between two readings. */
export function countersDelta(before: BrokerCounters, after: BrokerCounters): BrokerCounters {
  return {
    fsyncs: after.fsyncs - before.fsyncs,
    fsyncSeconds: after.fsyncSeconds - before.fsyncSeconds,
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
    produceRequests: after.produceRequests - before.produceRequests,
    fetchRequests: after.fetchRequests - before.fetchRequests,
    heapTotalBytes: after.heapTotalBytes,
    heapUsedBytes: after.heapUsedBytes,
    externalBytes: after.externalBytes,
  };
}

/** Sum of every sample of `name` whose labels contain `labelFilter` (Prometheus text format). */
function sumOf(text: string, name: string, labelFilter = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labelFilter && !rest.includes(labelFilter)) continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}
