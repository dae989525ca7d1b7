// A minimal Kafka client over a raw socket, built on our own codec: sends one request at a time and
// decodes the response. Tests use it for requests no real client sends (bad input, exact versions).
import { connect, type Socket } from 'node:net';
import { FrameDecoder } from '../../src/protocol/frame-decoder.ts';
import { decodeResponseHeader, encodeRequest } from '../../src/protocol/headers.ts';
import type { ApiDefinition } from '../../src/protocol/messages/index.ts';
import { Reader } from '../../src/protocol/reader.ts';

export class RawClient {
  readonly #socket: Socket;
  readonly #decoder = new FrameDecoder(256 * 1024 * 1024);
  readonly #frames: Buffer[] = [];
  #waiter: (() => void) | undefined;
  #closed = false;
  #correlationId = 1;
  #bytesReceived = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#bytesReceived += chunk.length;
      this.#frames.push(...this.#decoder.push(chunk));
      this.#waiter?.();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const socket = connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes the broker has sent on this connection so far. */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  /** Sends raw bytes (a whole frame, a partial one, garbage). */
  write(bytes: Buffer): void {
    this.#socket.write(bytes);
  }

  /** Sends a request without waiting; returns its correlation id. */
  send<Req, Res>(api: ApiDefinition<Req, Res>, version: number, body: Req, clientId = 'raw-client'): number {
    const correlationId = this.#correlationId++;
    this.#socket.write(encodeRequest(api, version, correlationId, clientId, body));
    return correlationId;
  }

  /** Sends a request and decodes its response (which must be the next frame to arrive). */
  async request<Req, Res>(api: ApiDefinition<Req, Res>, version: number, body: Req): Promise<Res> {
    const correlationId = this.send(api, version, body);
    return this.receive(api, version, correlationId);
  }

  async receive<Req, Res>(
    api: ApiDefinition<Req, Res>,
    version: number,
    correlationId: number,
  ): Promise<Res> {
    const frame = await this.nextFrame();
    if (frame === undefined)
      throw new Error(`connection closed before the response to ${api.name} v${version}`);
    const reader = new Reader(frame);
    const header = decodeResponseHeader(reader, api.apiKey, version);
    if (header.correlationId !== correlationId) {
      throw new Error(`expected correlation id ${correlationId}, got ${header.correlationId}`);
    }
    return api.response.decode(reader, version);
  }

  /** The next response frame, or undefined once the broker has closed the connection. */
  async nextFrame(deadlineMs = 30_000): Promise<Buffer | undefined> {
    const deadline = Date.now() + deadlineMs;
    while (this.#frames.length === 0 && !this.#closed) {
      if (Date.now() > deadline) throw new Error('no response within the deadline');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
    return this.#frames.shift();
  }

  /** Resolves when the broker closes the connection (rejects after the deadline). */
  async waitClosed(deadlineMs = 30_000): Promise<void> {
    while (!this.#closed) {
      const frame = await this.nextFrame(deadlineMs);
      if (frame === undefined) return;
    }
  }

  close(): void {
    this.#socket.destroy();
  }
}
