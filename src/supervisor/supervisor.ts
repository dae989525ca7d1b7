// Runs a resolved topology as child processes: every embedded bus first (waiting until each serves),
// then every stream's topic with its partitions, then every enabled component whose kind has a service.
// Each child restarts on its own when it crashes; stop() takes components down before buses.
import path from 'node:path';
import { brokerNodeFlags } from '../broker/node-flags.ts';
import { createBusAdmin } from '../sdk/kafka-client.ts';
import { services } from '../services/registry.ts';
import type { ResolvedTopology } from '../topology/schema.ts';
import { busConfig } from '../topology/sdk-options.ts';
import { cliArgs } from './entry.ts';
import { answersOk } from './http.ts';
import {
  SupervisedProcess,
  type BackoffOptions,
  type ProcessEvent,
  type ProcessInfo,
  type ProcessSpec,
} from './supervised-process.ts';

export type ControlAction = 'stop' | 'start' | 'kill' | 'pause';
export const CONTROL_ACTIONS: readonly ControlAction[] = ['stop', 'start', 'kill', 'pause'];

export interface SupervisorOptions {
  /** The resolved topology file every `sluice service` child reads. */
  topologyFile: string;
  onEvent?: ProcessEvent;
  backoff?: BackoffOptions;
  /** How long a child may take to stop after SIGTERM before SIGKILL (default 15 s). */
  stopDeadlineMs?: number;
  /** How long to wait for buses to serve and topics to be created before going on (default 60 s). */
  startDeadlineMs?: number;
}

export interface Supervisor {
  readonly topology: ResolvedTopology;
  /** Components of the topology that no service implements (yet): not started. */
  readonly skipped: readonly string[];
  processes(): ProcessInfo[];
  control(name: string, action: ControlAction, seconds?: number): Promise<ProcessInfo>;
  stop(): Promise<void>;
}

export class UnknownProcessError extends Error {}

function busSpec(topology: ResolvedTopology, name: string): ProcessSpec | undefined {
  const bus = topology.buses[name];
  if (bus?.kind !== 'embedded') return undefined;
  const args = ['broker', '--port', String(bus.port), '--admin-port', String(bus.adminPort)];
  args.push('--data-dir', bus.dataDir ?? path.join(topology.dataDir, 'buses', name));
  args.push('--durability', bus.durability);
  if (bus.retentionMs !== undefined) args.push('--retention-ms', String(bus.retentionMs));
  if (bus.retentionBytes !== undefined) args.push('--retention-bytes', String(bus.retentionBytes));
  return {
    name,
    role: 'bus',
    kind: 'embedded',
    args: cliArgs(args, brokerNodeFlags()),
    adminPort: bus.adminPort,
    ready: () => answersOk(`http://127.0.0.1:${bus.adminPort}/healthz`),
  };
}

function componentSpec(topology: ResolvedTopology, name: string, topologyFile: string): ProcessSpec {
  const component = topology.components[name];
  if (component === undefined) throw new Error(`no component ${name}`);
  return {
    name,
    role: 'component',
    kind: component.kind,
    args: cliArgs(['service', name, '--topology', topologyFile]),
    httpPort: component.httpPort,
    ready: () => answersOk(`http://127.0.0.1:${component.httpPort}/healthz`),
  };
}

async function until(condition: () => Promise<boolean> | boolean, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

/** Creates every stream's topic on its bus, retrying while the bus comes up. */
async function createTopics(
  topology: ResolvedTopology,
  event: ProcessEvent,
  deadline: number,
): Promise<void> {
  await Promise.all(
    Object.entries(topology.streams).map(async ([name, stream]) => {
      const admin = createBusAdmin(busConfig(topology, stream.bus, 'sluice-supervisor'));
      let lastError = '';
      try {
        const created = await until(async () => {
          try {
            await admin.createTopics([{ name: stream.topic, partitions: stream.partitions }]);
            return true;
          } catch (err) {
            lastError = (err as Error).message;
            return false;
          }
        }, deadline);
        if (!created)
          event(stream.bus, `could not create topic ${stream.topic} of stream ${name}: ${lastError}`);
      } finally {
        await admin.close();
      }
    }),
  );
}

export async function startSupervisor(
  topology: ResolvedTopology,
  options: SupervisorOptions,
): Promise<Supervisor> {
  const event = options.onEvent ?? (() => undefined);
  const logDir = path.join(topology.dataDir, 'run', 'logs');
  const make = (spec: ProcessSpec): SupervisedProcess =>
    new SupervisedProcess(spec, logDir, event, options.backoff);
  const buses = Object.keys(topology.buses)
    .map((name) => busSpec(topology, name))
    .filter((spec) => spec !== undefined)
    .map(make);
  const components: SupervisedProcess[] = [];
  const skipped: string[] = [];
  for (const [name, component] of Object.entries(topology.components)) {
    if (!component.enabled) continue;
    if (services[component.kind] === undefined) {
      skipped.push(name);
      event(name, `skipped: no service implements kind '${component.kind}' yet`);
      continue;
    }
    components.push(make(componentSpec(topology, name, options.topologyFile)));
  }
  const all = [...buses, ...components];
  const byName = new Map(all.map((p) => [p.spec.name, p]));

  const deadline = Date.now() + (options.startDeadlineMs ?? 60_000);
  for (const bus of buses) bus.start();
  const up = await until(() => buses.every((b) => b.info().state === 'running'), deadline);
  if (!up) event('supervisor', 'not every bus serves yet; going on (see run/logs/<bus>.log)');
  await createTopics(topology, event, deadline);
  for (const component of components) component.start();

  let stopping: Promise<void> | undefined;
  const stopDeadline = options.stopDeadlineMs ?? 15_000;
  return {
    topology,
    skipped,
    processes: () => all.map((p) => p.info()),
    async control(name, action, seconds) {
      const target = byName.get(name);
      if (target === undefined) throw new UnknownProcessError(`no bus or component named '${name}'`);
      if (action === 'stop') await target.stop(stopDeadline);
      else if (action === 'start') target.start();
      else if (action === 'kill') await target.kill();
      else target.pause(seconds ?? 10);
      return target.info();
    },
    stop: () =>
      (stopping ??= (async () => {
        await Promise.all(components.map((c) => c.stop(stopDeadline)));
        await Promise.all(buses.map((b) => b.stop(stopDeadline)));
      })()),
  };
}
