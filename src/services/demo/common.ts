// What every demo producer shares: its settings read from its component entry, and its telemetry opened
// through the SDK on the topology streams its settings name (so /status shows each stream's breaker and
// buffer, read from the component's registry).
import { createTelemetry, type StreamOptions, type Telemetry } from '../../sdk/index.ts';
import { publishOptions } from '../../topology/sdk-options.ts';
import type { ServiceContext } from '../runtime.ts';
import { freshSeed } from './random.ts';
import type { DemoSettings, DemoStream } from './settings.ts';

const DEMO_KINDS = new Set(['frontend', 'db-monitor', 'payments', 'accounts']);

/** The component's demo settings; throws when the component is not a demo producer. */
export function demoSettingsOf(ctx: ServiceContext): DemoSettings & { seed: number } {
  const { component } = ctx;
  if (!DEMO_KINDS.has(component.kind)) {
    throw new Error(`component '${ctx.name}' is a ${component.kind}, not a demo producer`);
  }
  const settings = component as unknown as DemoSettings;
  return { ...settings, seed: settings.seed ?? freshSeed() };
}

/** Opens the SDK streams `uses` of this component; an unmapped or unknown stream is a clear error. */
export async function openDemoTelemetry(
  ctx: ServiceContext,
  settings: DemoSettings,
  uses: readonly DemoStream[],
): Promise<Telemetry> {
  const streams: Record<string, StreamOptions> = {};
  for (const stream of uses) {
    const target = settings.publishes[stream];
    const where = `components.${ctx.name}.publishes.${stream}`;
    if (target === undefined) {
      throw new Error(`${where}: a ${ctx.component.kind} publishes ${stream}; name the topology stream`);
    }
    if (ctx.topology.streams[target] === undefined) {
      throw new Error(`${where}: the topology has no stream named '${target}'`);
    }
    streams[stream] = publishOptions(ctx.topology, target, ctx.dataDir);
  }
  return createTelemetry({
    service: ctx.name,
    streams,
    metrics: ctx.registry,
    logger: ctx.logger,
    exportIntervalMs: settings.exportIntervalMs,
  });
}

/** How long a demo producer's stop() waits for its publishers to drain. */
export const CLOSE_TIMEOUT_MS = 5000;
