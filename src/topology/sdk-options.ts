// From a resolved topology to the SDK's options: which bus a stream is on, and the publisher settings a
// component uses for a stream (its disk buffers live under the component's own data dir).
import path from 'node:path';
import type { BusConfig } from '../sdk/kafka-client.ts';
import type { StreamOptions } from '../sdk/telemetry/create.ts';
import type { ResolvedTopology, Stream } from './schema.ts';

/** The Kafka client settings of bus `name`. An embedded bus must have a concrete port (resolved). */
export function busConfig(topology: ResolvedTopology, name: string, clientId?: string): BusConfig {
  const bus = topology.buses[name];
  if (bus === undefined) throw new Error(`topology has no bus named '${name}'`);
  const id = clientId === undefined ? {} : { clientId };
  if (bus.kind === 'kafka') {
    return {
      bootstrap: bus.bootstrap,
      ...(bus.clientId === undefined ? id : { clientId: bus.clientId }),
      ...(bus.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: bus.connectTimeoutMs }),
      ...(bus.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: bus.requestTimeoutMs }),
    };
  }
  if (bus.port === 0) throw new Error(`bus '${name}' has no port yet: resolve the topology first`);
  return { bootstrap: [`127.0.0.1:${bus.port}`], ...id };
}

export function streamOf(topology: ResolvedTopology, name: string): Stream {
  const stream = topology.streams[name];
  if (stream === undefined) throw new Error(`topology has no stream named '${name}'`);
  return stream;
}

/** Where a component reads stream `name` from: its bus and topic. */
export function streamSource(
  topology: ResolvedTopology,
  name: string,
  clientId?: string,
): { bus: BusConfig; topic: string } {
  const stream = streamOf(topology, name);
  return { bus: busConfig(topology, stream.bus, clientId), topic: stream.topic };
}

/**
 * The createTelemetry stream options with which a component publishes to topology stream `name`: the
 * stream's bus, topic, acks and buffer policy; a disk buffer in `<componentDataDir>/buffers/<name>`.
 */
export function publishOptions(
  topology: ResolvedTopology,
  name: string,
  componentDataDir: string,
  clientId?: string,
): StreamOptions {
  const stream = streamOf(topology, name);
  const { buffer } = stream;
  return {
    topic: stream.topic,
    bus: busConfig(topology, stream.bus, clientId),
    acks: stream.acks,
    ...(stream.lingerMs === undefined ? {} : { lingerMs: stream.lingerMs }),
    buffer:
      buffer.kind === 'memory'
        ? { kind: 'memory', maxBytes: buffer.maxBytes, whenFull: buffer.whenFull }
        : {
            kind: 'disk',
            dir: path.join(componentDataDir, 'buffers', name),
            maxBytes: buffer.maxBytes,
            whenFull: buffer.whenFull,
          },
  };
}
