// One client connection: splits the byte stream into frames, handles requests strictly one at a time in
// arrival order (as Kafka does by muting a channel until its response is sent), and writes each response
// before the next request starts. Reading pauses while requests pile up or the client reads slowly, so a
// slow or hostile client cannot make the broker buffer without bound.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { FrameDecoder } from '../../protocol/frame-decoder.ts';
import { decodeRequestHeader, encodeResponseHeader } from '../../protocol/headers.ts';
import { Reader } from '../../protocol/reader.ts';
import { Writer } from '../../protocol/writer.ts';
import type { BrokerContext } from '../broker-context.ts';
import {
  NO_RESPONSE,
  type ConnectionInfo,
  type Handler,
  type HandlerRegistry,
  type RequestContext,
} from '../handlers/handler.ts';
import { unsupportedApiVersionsResponse } from '../handlers/18-api-versions.ts';
import type { FramePool } from './frame-pool.ts';

const PRODUCE_KEY = 0;
const API_VERSIONS_KEY = 18;
/** Stop reading from the socket while this many bytes of requests wait to be handled. */
const MAX_QUEUED_REQUEST_BYTES = 16 * 1024 * 1024;
/**
 * Byte fields from this size on (the record batches of a fetch) are written to the socket from the Buffer
 * the handler returned, not copied into the response: copying them into a buffer that doubles up to the
 * response's size allocates several bytes outside V8's heap per byte served, and V8 answers that growth
 * with full collections. Below it a copy costs less than one more chunk of the vectored write. So a handler
 * must not change a Buffer it answered with, even after it returned: the socket may still be sending it.
 */
const RESPONSE_REFERENCE_FROM_BYTES = 4096;

export interface ConnectionOptions {
  readonly id: number;
  readonly socket: Socket;
  readonly broker: BrokerContext;
  readonly registry: HandlerRegistry;
  readonly maxFrameBytes: number;
  /** Buffers for frames that span several reads, shared by the listener's connections. */
  readonly framePool?: FramePool;
  /**
   * Buffers for the log reads of fetches, shared by the listener's connections: a fetch's records are sent
   * from the buffer they were read into, which comes back here once the socket has sent the response.
   */
  readonly readPool?: FramePool;
  readonly logger: Logger;
  readonly onClose: (connection: Connection) => void;
}

export class Connection {
  readonly info: ConnectionInfo;
  readonly #socket: Socket;
  readonly #options: ConnectionOptions;
  readonly #decoder: FrameDecoder;
  readonly #queue: Buffer[] = [];
  #queuedBytes = 0;
  #processing = false;
  #closed = false;
  #resolveClosed!: () => void;
  /** Settles when the request being handled (if any) has been answered. */
  #idle: Promise<void> = Promise.resolve();

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#socket = options.socket;
    const pool = options.framePool;
    this.#decoder = new FrameDecoder(options.maxFrameBytes, pool && ((n) => pool.take(n)));
    const closed = new Promise<void>((resolve) => (this.#resolveClosed = resolve));
    this.info = {
      id: options.id,
      remoteAddress: `${options.socket.remoteAddress ?? '?'}:${options.socket.remotePort ?? '?'}`,
      closed,
      close: (reason) => this.abort(reason),
    };
    this.#socket.setNoDelay(true);
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('error', (err) =>
      this.#options.logger.debug({ conn: this.info.id, err }, 'socket error'),
    );
    this.#socket.on('close', () => this.#finish());
  }

  /** Waits for the request in progress to be answered (used by a graceful shutdown). */
  async settle(): Promise<void> {
    await this.#idle;
  }

  /** Closes the connection after logging why, in one line. */
  abort(reason: string, details: Record<string, unknown> = {}): void {
    if (this.#closed) return;
    this.#options.logger.warn({ conn: this.info.id, remote: this.info.remoteAddress, ...details }, reason);
    this.destroy();
  }

  destroy(): void {
    this.#socket.destroy();
    this.#finish();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    this.#resolveClosed();
    this.#options.onClose(this);
  }

  #onData(chunk: Buffer): void {
    this.#options.broker.metrics.bytesIn.inc(chunk.length);
    let frames: Buffer[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (err) {
      this.abort(`closing connection: ${(err as Error).message}`);
      return;
    }
    for (const frame of frames) {
      this.#queue.push(frame);
      this.#queuedBytes += frame.length;
    }
    // Only whole frames waiting to be handled count: a frame still arriving is bounded by maxFrameBytes, and
    // pausing while it is incomplete would stall a connection whose one big request can never finish.
    if (this.#queuedBytes > MAX_QUEUED_REQUEST_BYTES) this.#socket.pause();
    if (!this.#processing && this.#queue.length > 0) this.#idle = this.#drain();
  }

  async #drain(): Promise<void> {
    this.#processing = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const frame = this.#queue.shift()!;
        this.#queuedBytes -= frame.length;
        if (await this.#handle(frame)) this.#options.framePool?.give(frame);
        if (this.#socket.writableNeedDrain && !this.#closed) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              this.#socket.off('drain', done);
              this.#socket.off('close', done);
              resolve();
            };
            this.#socket.on('drain', done);
            this.#socket.on('close', done);
          });
        }
      }
    } finally {
      this.#processing = false;
      if (!this.#closed && this.#socket.isPaused()) this.#socket.resume();
    }
  }

  /**
   * Handles one request; true when nothing refers to the frame's memory any more, so it may be reused.
   * That is promised only for Produce: its handler settles after every append of the request has been
   * written (the log keeps a batch only until then) and keeps no view of the request. Other requests may
   * keep views of their bytes (group metadata, assignments), so their frames are left to the GC.
   */
  async #handle(frame: Buffer): Promise<boolean> {
    const { registry, broker } = this.#options;
    const reader = new Reader(frame);
    let header: ReturnType<typeof decodeRequestHeader>;
    try {
      header = decodeRequestHeader(reader);
    } catch (err) {
      this.abort('closing connection: malformed request header', { error: (err as Error).message });
      return false;
    }
    const { apiKey, apiVersion, correlationId } = header;
    const handler = registry.get(apiKey);
    if (!handler) {
      this.abort('closing connection: unknown API key', { apiKey, apiVersion });
      return false;
    }
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === API_VERSIONS_KEY) {
        // Clients probe with their newest ApiVersions; the answer is a v0 body saying what we support.
        this.#respond(handler.api, 0, correlationId, unsupportedApiVersionsResponse(registry));
        return false;
      }
      this.abort('closing connection: unsupported API version', {
        api: handler.api.name,
        apiVersion,
        supported: `${handler.minVersion}-${handler.maxVersion}`,
      });
      return false;
    }
    let request: unknown;
    try {
      request = handler.api.request.decode(reader, apiVersion);
    } catch (err) {
      this.abort('closing connection: malformed request', {
        api: handler.api.name,
        apiVersion,
        error: (err as Error).message,
      });
      return false;
    }
    const readPool = this.#options.readPool;
    const ctx: RequestContext = {
      broker,
      apiVersion,
      correlationId,
      clientId: header.clientId ?? '',
      connection: this.info,
      allocateRead: readPool && ((n) => readPool.take(n)),
    };
    let response: unknown;
    try {
      response = await handler.handle(ctx, request);
    } catch (err) {
      this.#options.logger.error(
        { conn: this.info.id, api: handler.api.name, apiVersion, err },
        'handler failed',
      );
      this.destroy();
      return false;
    }
    if (response !== NO_RESPONSE) this.#respond(handler.api, apiVersion, correlationId, response);
    return apiKey === PRODUCE_KEY;
  }

  #respond(api: Handler['api'], apiVersion: number, correlationId: number, response: unknown): void {
    if (this.#closed) return;
    let chunks: Buffer[];
    let size: number;
    try {
      const w = new Writer(undefined, { referenceFrom: RESPONSE_REFERENCE_FROM_BYTES });
      w.int32(0); // size prefix, patched below
      encodeResponseHeader(w, api.apiKey, apiVersion, correlationId);
      api.response.encode(w, apiVersion, response);
      size = w.length;
      w.setInt32(0, size - 4);
      chunks = w.toChunks();
    } catch (err) {
      this.#options.logger.error(
        { conn: this.info.id, api: api.name, apiVersion, err },
        'response encoding failed',
      );
      this.destroy();
      return;
    }
    this.#options.broker.metrics.bytesOut.inc(size);
    this.#options.broker.metrics.recordResponse(api.name, response);
    if (chunks.length === 1) {
      this.#socket.write(chunks[0]);
      return;
    }
    // All chunks queued at once and sent with one writev, before anything else is written to the socket.
    // The callback of the last write runs once every chunk has left the process (or the write failed or was
    // cancelled): only then may the read buffers the records were sent from be reused. The pool takes back
    // only buffers it lent (the log reads of this response); it ignores the writer's own.
    const readPool = this.#options.readPool;
    const last = chunks.length - 1;
    this.#socket.cork();
    for (let i = 0; i < last; i++) this.#socket.write(chunks[i]);
    this.#socket.write(chunks[last], readPool && (() => chunks.forEach((chunk) => readPool.give(chunk))));
    this.#socket.uncork();
  }
}
