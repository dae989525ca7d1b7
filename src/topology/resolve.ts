// From a validated topology to the one every child process runs with: the data dir (or --data-dir) and
// every bus directory absolute, every port 0 replaced by a free one, written to <dataDir>/run/topology.json.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ConfigError, describeZodError } from '../config/errors.ts';
import { defaultBusDataDir } from './cross-check.ts';
import {
  topology as topologySchema,
  type Bus,
  type Component,
  type ResolvedTopology,
  type Topology,
} from './schema.ts';

export interface ResolveOptions {
  /** Overrides the topology's dataDir (relative to the working directory). */
  dataDir?: string;
}

/** Binds `port` on 127.0.0.1 (0 = any) and releases it; returns the bound port, or undefined if taken. */
async function probe(port: number): Promise<number | undefined> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const bound = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

export async function resolveTopology(
  topology: Topology,
  options: ResolveOptions = {},
): Promise<ResolvedTopology> {
  const dataDir = path.resolve(options.dataDir ?? topology.dataDir);
  const taken = new Set<number>();
  const port = async (value: number, where: string): Promise<number> => {
    if (value !== 0) {
      if ((await probe(value)) === undefined)
        throw new ConfigError(`${where}: port ${value} is already in use on 127.0.0.1`);
      taken.add(value);
      return value;
    }
    for (let attempt = 0; attempt < 20; attempt++) {
      const free = await probe(0);
      if (free !== undefined && !taken.has(free)) {
        taken.add(free);
        return free;
      }
    }
    throw new ConfigError(`${where}: found no free port on 127.0.0.1`);
  };

  const buses: Record<string, Bus> = {};
  for (const [name, bus] of Object.entries(topology.buses)) {
    if (bus.kind !== 'embedded') {
      buses[name] = bus;
      continue;
    }
    buses[name] = {
      ...bus,
      dataDir: path.resolve(bus.dataDir ?? defaultBusDataDir(dataDir, name)),
      port: await port(bus.port, `buses.${name}.port`),
      adminPort: await port(bus.adminPort, `buses.${name}.adminPort`),
    };
  }
  const components: Record<string, Component> = {};
  for (const [name, component] of Object.entries(topology.components))
    components[name] = component.enabled
      ? { ...component, httpPort: await port(component.httpPort, `components.${name}.httpPort`) }
      : component;
  return { ...topology, dataDir, buses, components, resolved: true };
}

/** Where `sluice up` writes the resolved topology its children read. */
export function resolvedTopologyFile(dataDir: string): string {
  return path.join(dataDir, 'run', 'topology.json');
}

export async function writeResolvedTopology(topology: ResolvedTopology): Promise<string> {
  const file = resolvedTopologyFile(topology.dataDir);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, `${JSON.stringify(topology, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
  return file;
}

/** Reads a topology written by writeResolvedTopology (a child process's view of the system). */
export async function readResolvedTopology(file: string): Promise<ResolvedTopology> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read resolved topology ${file}: ${(err as Error).message}`);
  }
  // `resolved: true` is the mark of this file, not a topology setting.
  if (data !== null && typeof data === 'object') delete (data as { resolved?: unknown }).resolved;
  const parsed = topologySchema.safeParse(data);
  if (!parsed.success) throw describeZodError(parsed.error, file);
  return { ...parsed.data, resolved: true };
}
