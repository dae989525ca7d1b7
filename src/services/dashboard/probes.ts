// One look at each thing the health board shows, asked directly (never through a bus, so a bus that is
// down cannot hide itself): an embedded broker's admin /metrics, a Kafka cluster's metadata, a
// component's /status, the supervisor's control API.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createBusAdmin, type BusAdmin } from '../../sdk/kafka-client.ts';
import type { Bus, ResolvedTopology } from '../../topology/schema.ts';
import type { ComponentStatus } from '../runtime.ts';
import { sumSamples } from './prometheus-text.ts';

export type Probe<T> = { ok: true; value: T } | { ok: false; error: string };

export async function getJson<T>(url: string, timeoutMs: number): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return (await res.json()) as T;
}

async function attempt<T>(work: () => Promise<T>): Promise<Probe<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: cause === undefined ? message : `${message} (${cause})` };
  }
}

/** Counters of a bus: cumulative totals, turned into rates by the board. */
export type BusCounters = Record<string, number>;

const BROKER_COUNTERS: Record<string, string> = {
  bytesIn: 'sluice_broker_received_bytes_total',
  bytesOut: 'sluice_broker_sent_bytes_total',
  recordsIn: 'sluice_broker_records_in_total',
  recordsOut: 'sluice_broker_records_out_total',
};

/** One admin client per Kafka bus, kept between probes; dropped (and rebuilt next time) when one fails. */
export type KafkaAdmins = Map<string, BusAdmin>;

export function probeBus(
  name: string,
  bus: Bus,
  timeoutMs: number,
  admins: KafkaAdmins,
): Promise<Probe<BusCounters>> {
  return attempt(async () => {
    if (bus.kind === 'embedded') {
      const res = await fetch(`http://127.0.0.1:${bus.adminPort}/metrics`, {
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw new Error(`admin /metrics answered ${res.status}`);
      const sums = sumSamples(await res.text());
      const counters: BusCounters = {};
      for (const [key, metric] of Object.entries(BROKER_COUNTERS)) {
        const value = sums.get(metric);
        if (value !== undefined) counters[key] = value;
      }
      return counters;
    }
    let admin = admins.get(name);
    if (admin === undefined) {
      admin = createBusAdmin({
        bootstrap: bus.bootstrap,
        clientId: 'sluice-dashboard-probe',
        connectTimeoutMs: timeoutMs,
        requestTimeoutMs: timeoutMs,
      });
      admins.set(name, admin);
    }
    try {
      const md = await admin.metadata();
      return { brokers: md.brokers };
    } catch (error) {
      admins.delete(name);
      await admin.close();
      throw error;
    }
  });
}

export function probeComponent(port: number, timeoutMs: number): Promise<Probe<ComponentStatus>> {
  return attempt(() => getJson<ComponentStatus>(`http://127.0.0.1:${port}/status`, timeoutMs));
}

export interface SupervisedProcess {
  name: string;
  kind: string;
  role: 'bus' | 'component';
  state: string;
  pid?: number;
  restarts?: number;
}

/**
 * The supervisor's view of every process, when `sluice up` runs this topology (it writes
 * `<dataDir>/run/supervisor.json`); undefined when there is no supervisor.
 */
export async function probeSupervisor(
  topology: ResolvedTopology,
  timeoutMs: number,
): Promise<Probe<SupervisedProcess[]> | undefined> {
  let controlPort: number;
  try {
    const file = await readFile(path.join(topology.dataDir, 'run', 'supervisor.json'), 'utf8');
    controlPort = (JSON.parse(file) as { controlPort: number }).controlPort;
  } catch {
    return undefined;
  }
  return attempt(async () => {
    const body = await getJson<{ components: SupervisedProcess[] }>(
      `http://127.0.0.1:${controlPort}/api/v1/components`,
      timeoutMs,
    );
    return body.components;
  });
}
