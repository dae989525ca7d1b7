// Checks zod cannot make alone: names that refer to other entries (a stream's bus, a component's streams),
// ports used twice, and two buses sharing a data directory.
import path from 'node:path';
import type { Problem } from './problems.ts';
import type { Topology } from './schema.ts';

function names(record: Record<string, unknown>): string {
  const keys = Object.keys(record);
  return keys.length === 0 ? '(none defined)' : keys.join(', ');
}

/** Where an embedded bus keeps its log when its dataDir is not set. */
export function defaultBusDataDir(dataDir: string, bus: string): string {
  return path.join(dataDir, 'buses', bus);
}

export function crossCheck(topology: Topology): Problem[] {
  const problems: Problem[] = [];
  const streamNames = names(topology.streams);
  for (const [name, stream] of Object.entries(topology.streams)) {
    if (topology.buses[stream.bus] === undefined)
      problems.push({ path: ['streams', name, 'bus'], expected: `a bus name: ${names(topology.buses)}` });
  }
  for (const [name, component] of Object.entries(topology.components)) {
    const settings = component as Record<string, unknown>;
    const streams = settings.streams;
    if (Array.isArray(streams))
      streams.forEach((s, i) => {
        if (typeof s === 'string' && topology.streams[s] === undefined)
          problems.push({
            path: ['components', name, 'streams', i],
            expected: `a stream name: ${streamNames}`,
          });
      });
    const publishes = settings.publishes;
    if (publishes !== null && typeof publishes === 'object')
      for (const [kind, s] of Object.entries(publishes as Record<string, unknown>)) {
        if (typeof s === 'string' && topology.streams[s] === undefined)
          problems.push({
            path: ['components', name, 'publishes', kind],
            expected: `a stream name: ${streamNames}`,
          });
      }
  }

  const ports = new Map<number, string>();
  const usePort = (port: number, where: (string | number)[]): void => {
    if (port === 0) return;
    const other = ports.get(port);
    if (other !== undefined)
      problems.push({ path: where, expected: `a port of its own (${other} is also ${port})` });
    else ports.set(port, where.join('.'));
  };
  const dirs = new Map<string, string>();
  for (const [name, bus] of Object.entries(topology.buses)) {
    if (bus.kind !== 'embedded') continue;
    usePort(bus.port, ['buses', name, 'port']);
    usePort(bus.adminPort, ['buses', name, 'adminPort']);
    const dir = path.resolve(bus.dataDir ?? defaultBusDataDir(topology.dataDir, name));
    const other = dirs.get(dir);
    if (other !== undefined)
      problems.push({
        path: ['buses', name, 'dataDir'],
        expected: `a data directory of its own (${other} also uses ${dir})`,
      });
    else dirs.set(dir, `buses.${name}`);
  }
  for (const [name, component] of Object.entries(topology.components))
    usePort(component.httpPort, ['components', name, 'httpPort']);
  return problems;
}
