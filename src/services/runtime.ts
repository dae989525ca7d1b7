// What every Sluice component process (consumer service or demo producer) shares: the context it is started
// with, the handle it returns, and its HTTP endpoint. `sluice service <component>` (the supervisor's child)
// and the tests both start a component through startComponent().
import type http from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Component, ComponentKind, ResolvedTopology } from '../topology/schema.ts';

export interface ServiceContext<C extends Component = Component> {
  /** The component's name in the topology (a key of `components`). */
  readonly name: string;
  /** The component's own entry of the topology. */
  readonly component: C;
  readonly topology: ResolvedTopology;
  /** The component's own directory (created): disk buffers, stores, state. */
  readonly dataDir: string;
  readonly logger: Logger;
  /** The component's prom-client registry, served on GET /metrics. Register every metric here. */
  readonly registry: Registry;
}

/** One HTTP route of a component; returns false to let the next route (or the 404) answer. */
export type Route = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
) => boolean | Promise<boolean>;

export interface ServiceHandle {
  /** Service-specific state, returned under `details` by GET /status (must be JSON). */
  details?(): Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Extra routes served on the component's HTTP port, tried in order after the built-in ones. */
  routes?: Route[];
  /** Stops cleanly: finishes work in flight, commits, drains what it can, closes clients. */
  stop(): Promise<void>;
}

export type ServiceMain<C extends Component = Component> = (
  context: ServiceContext<C>,
) => Promise<ServiceHandle>;

/** Where a component kind's main lives: each service module registers itself in registry.ts. */
export type ServiceRegistry = Partial<Record<ComponentKind, () => Promise<ServiceMain>>>;

/** The body of GET /status. `producers` and `consumers` are read from the component's registry. */
export interface ComponentStatus {
  component: string;
  kind: ComponentKind;
  pid: number;
  startedAt: string;
  producers: ProducerStreamStatus[];
  consumers: ConsumerStatus[];
  details: Record<string, unknown>;
}

export interface ProducerStreamStatus {
  stream: string;
  breaker: 'closed' | 'open' | 'half-open';
  bufferedRecords: number;
  bufferedBytes: number;
  sentRecords: number;
  dropped: Record<string, number>;
}

export interface ConsumerStatus {
  group: string;
  topic: string;
  lagRecords: number;
  lagSeconds: number;
  partitions: { partition: number; lagRecords: number; lagSeconds: number }[];
}

export interface RunningComponent {
  readonly name: string;
  /** The bound HTTP port (the component's httpPort, or the one chosen when it was 0). */
  readonly httpPort: number;
  status(): Promise<ComponentStatus>;
  stop(): Promise<void>;
}
