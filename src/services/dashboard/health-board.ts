// The health board: every `intervalMs` it asks each bus, each component and the supervisor directly
// (probes.ts) and keeps the latest picture, with rates computed from the last two looks at a bus's
// counters. GET /api/v1/health returns it; it keeps telling the truth while any bus is down.
import type { ResolvedTopology } from '../../topology/schema.ts';
import type { ConsumerStatus, ProducerStreamStatus } from '../runtime.ts';
import {
  getJson,
  probeBus,
  probeComponent,
  probeSupervisor,
  type BusCounters,
  type KafkaAdmins,
  type SupervisedProcess,
} from './probes.ts';

export interface BusHealth {
  name: string;
  kind: 'embedded' | 'kafka';
  up: boolean;
  error?: string;
  /** Per second over the last interval, for each counter the bus reports (bytesIn, bytesOut, ...). */
  rates: Record<string, number>;
  /** Supervisor's process state, when `sluice up` runs it. */
  state?: string;
  restarts?: number;
}

export interface ComponentHealth {
  name: string;
  kind: string;
  up: boolean;
  error?: string;
  state?: string;
  pid?: number;
  restarts?: number;
  producers: ProducerStreamStatus[];
  consumers: ConsumerStatus[];
}

export interface AlertsView {
  /** The alerting component asked, or undefined when the topology has none. */
  source?: string;
  error?: string;
  alerts: unknown[];
  silences: unknown[];
}

export interface Health {
  at: number;
  intervalMs: number;
  supervisor: { present: boolean; reachable?: boolean; error?: string };
  buses: BusHealth[];
  components: ComponentHealth[];
  alerts: AlertsView;
}

export interface HealthBoardOptions {
  topology: ResolvedTopology;
  intervalMs: number;
  timeoutMs: number;
  now?: () => number;
}

export class HealthBoard {
  readonly #o: HealthBoardOptions;
  readonly #now: () => number;
  readonly #admins: KafkaAdmins = new Map();
  readonly #previous = new Map<string, { at: number; counters: BusCounters }>();
  #latest: Health | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: HealthBoardOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    const tick = (): void => {
      this.#running = this.refresh()
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.#o.intervalMs);
        });
    };
    tick();
  }

  /** The latest picture (taking one first if none was taken yet). */
  async current(): Promise<Health> {
    if (this.#latest === undefined) await this.refresh();
    return this.#latest!;
  }

  async refresh(): Promise<Health> {
    const { topology, timeoutMs } = this.#o;
    const [supervisor, buses, components, alerts] = await Promise.all([
      probeSupervisor(topology, timeoutMs),
      Promise.all(
        Object.entries(topology.buses).map(async ([name, bus]) => ({
          name,
          bus,
          at: this.#now(),
          probe: await probeBus(name, bus, timeoutMs, this.#admins),
        })),
      ),
      Promise.all(
        Object.entries(topology.components)
          .filter(([, c]) => c.enabled)
          .map(async ([name, c]) => ({ name, c, probe: await probeComponent(c.httpPort, timeoutMs) })),
      ),
      this.#alerts(),
    ]);
    const processes = new Map<string, SupervisedProcess>();
    if (supervisor?.ok) for (const p of supervisor.value) processes.set(p.name, p);
    const supervised = (name: string): Partial<Pick<BusHealth, 'state' | 'restarts'>> => {
      const p = processes.get(name);
      if (p === undefined) return {};
      return { state: p.state, ...(p.restarts === undefined ? {} : { restarts: p.restarts }) };
    };

    const health: Health = {
      at: this.#now(),
      intervalMs: this.#o.intervalMs,
      supervisor:
        supervisor === undefined
          ? { present: false }
          : supervisor.ok
            ? { present: true, reachable: true }
            : { present: true, reachable: false, error: supervisor.error },
      buses: buses.map(({ name, bus, at, probe }) => {
        const base = { name, kind: bus.kind, ...supervised(name) };
        if (!probe.ok) {
          this.#previous.delete(name);
          return { ...base, up: false, error: probe.error, rates: {} };
        }
        const rates: Record<string, number> = {};
        const before = this.#previous.get(name);
        if (before !== undefined && at > before.at) {
          for (const [key, value] of Object.entries(probe.value)) {
            const was = before.counters[key];
            // A restarted broker starts its counters from zero: no rate for that interval.
            if (was !== undefined && value >= was) rates[key] = ((value - was) * 1000) / (at - before.at);
          }
        }
        this.#previous.set(name, { at, counters: probe.value });
        return { ...base, up: true, rates };
      }),
      components: components.map(({ name, c, probe }) => {
        const p = processes.get(name);
        const base = {
          name,
          kind: c.kind,
          ...supervised(name),
          ...(p?.pid === undefined ? {} : { pid: p.pid }),
        };
        if (!probe.ok) return { ...base, up: false, error: probe.error, producers: [], consumers: [] };
        return {
          ...base,
          up: true,
          pid: probe.value.pid,
          producers: probe.value.producers,
          consumers: probe.value.consumers,
        };
      }),
      alerts,
    };
    this.#latest = health;
    return health;
  }

  async #alerts(): Promise<AlertsView> {
    const entry = Object.entries(this.#o.topology.components).find(
      ([, c]) => c.kind === 'alerting' && c.enabled,
    );
    if (entry === undefined) return { alerts: [], silences: [] };
    const [name, component] = entry;
    const base = `http://127.0.0.1:${component.httpPort}/api/v1`;
    try {
      const [alerts, silences] = await Promise.all([
        getJson<{ alerts: unknown[] }>(`${base}/alerts`, this.#o.timeoutMs),
        getJson<{ silences: unknown[] }>(`${base}/silences`, this.#o.timeoutMs),
      ]);
      return { source: name, alerts: alerts.alerts ?? [], silences: silences.silences ?? [] };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { source: name, error: message, alerts: [], silences: [] };
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await Promise.all([...this.#admins.values()].map((a) => a.close()));
    this.#admins.clear();
  }
}
