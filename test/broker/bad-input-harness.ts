// Shared by the bad-input tests: one in-process broker with a healthy connection opened before any bad
// input, the checks that it is still healthy, hand-built frames (any key, version and body), and reading
// what a connection got back: responses by correlation id, then maybe the broker closing it.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import { pino } from 'pino';
import { startBroker, type BrokerHandle, type StartBrokerOptions } from '../../src/broker/broker.ts';
import { encodeRequestHeader } from '../../src/protocol/headers.ts';
import { ApiVersionsApi, MetadataApi } from '../../src/protocol/messages/index.ts';
import { Writer } from '../../src/protocol/writer.ts';
import { tempDir } from '../helpers/broker.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { waitFor } from '../helpers/wait-for.ts';

export const SOFTWARE = { clientSoftwareName: 'sluice-bad-input', clientSoftwareVersion: '0' };

/** A frame with a correct size prefix and request header, and whatever body is given. */
export function rawFrame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer): Buffer {
  const w = new Writer();
  w.int32(0);
  encodeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId: 'bad-input' });
  w.raw(body);
  w.setInt32(0, w.length - 4);
  return w.toBuffer();
}

export function sizePrefix(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(size >>> 0);
  return b;
}

/** An ApiVersions v0 request (empty body) with a correlation id no other request uses. */
export const PROBE_ID = 0x7ffffff0;
export const probeFrame = (): Buffer => rawFrame(ApiVersionsApi.apiKey, 0, PROBE_ID, Buffer.alloc(0));

export interface Outcome {
  /** Correlation ids of the responses before the probe's (or before the close). */
  answered: number[];
  /** The probe was answered: the connection survived everything sent before it. */
  probeAnswered: boolean;
  closed: boolean;
}

/**
 * Reads responses until the probe's answer or the broker closing the connection. Requests on one
 * connection are handled in order, so either one tells that everything sent before it was dealt with.
 */
export async function outcome(client: RawClient): Promise<Outcome> {
  const answered: number[] = [];
  for (;;) {
    const frame = await client.nextFrame(60_000);
    if (frame === undefined) return { answered, probeAnswered: false, closed: true };
    const id = frame.readInt32BE(0);
    if (id === PROBE_ID) return { answered, probeAnswered: true, closed: false };
    answered.push(id);
  }
}

/** A plain socket, for writes the RawClient won't do (half-close, reset). */
export async function plainSocket(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  return socket;
}

export interface LogLine {
  level: number;
  msg: string;
}

export class BadInputBroker {
  readonly broker: BrokerHandle;
  readonly healthy: RawClient;
  /** The broker's warnings and errors, as logged. */
  readonly logLines: LogLine[];
  readonly #dataDir: string;
  readonly #clients: { close(): void }[] = [];

  private constructor(broker: BrokerHandle, healthy: RawClient, dataDir: string, logLines: LogLine[]) {
    this.broker = broker;
    this.healthy = healthy;
    this.#dataDir = dataDir;
    this.logLines = logLines;
  }

  static async start(options: StartBrokerOptions = {}): Promise<BadInputBroker> {
    const dataDir = await tempDir('sluice-bad-input-');
    const logLines: LogLine[] = [];
    const logger = pino(
      { level: 'warn' },
      { write: (s: string) => void logLines.push(JSON.parse(s) as LogLine) },
    );
    const broker = await startBroker({ port: 0, dataDir, logger, durability: 'none', ...options });
    const healthy = await RawClient.connect(broker.port);
    return new BadInputBroker(broker, healthy, dataDir, logLines);
  }

  get port(): number {
    return this.broker.port;
  }

  /** A new connection, closed by closeOpened() or stop() if the test has not closed it. */
  async open(): Promise<RawClient> {
    const client = await RawClient.connect(this.port);
    this.#clients.push(client);
    return client;
  }

  async openPlain(): Promise<Socket> {
    const socket = await plainSocket(this.port);
    this.#clients.push({ close: () => socket.destroy() });
    return socket;
  }

  /** Closes every connection opened through open() or openPlain() so far. */
  closeOpened(): void {
    for (const c of this.#clients.splice(0)) c.close();
  }

  async openConnections(): Promise<number> {
    const metric = await this.broker.context.metrics.connections.get();
    return metric.values[0]?.value ?? 0;
  }

  /** Waits until the broker holds no connection but the healthy one: nothing leaked. */
  async waitOnlyHealthyLeft(): Promise<void> {
    await waitFor(async () => (await this.openConnections()) === 1, {
      what: 'the broker to drop every connection but the healthy one',
    });
  }

  /** The connection opened before the bad input still gets ApiVersions and Metadata answered. */
  async assertHealthy(): Promise<void> {
    const versions = await this.healthy.request(ApiVersionsApi, 3, SOFTWARE);
    assert.equal(versions.errorCode, 0);
    const metadata = await this.healthy.request(MetadataApi, 12, {
      topics: null,
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(metadata.brokers.length, 1);
    assert.equal(metadata.brokers[0].port, this.port);
  }

  async stop(): Promise<void> {
    this.closeOpened();
    this.healthy.close();
    await this.broker.close();
    await rm(this.#dataDir, { recursive: true, force: true });
  }
}
