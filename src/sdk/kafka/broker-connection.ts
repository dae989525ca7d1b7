// One TCP connection to one broker, for the publisher's produce path: our own instead of the client
// library's, so that a sealed record batch goes to the socket as it is (a small request header, then the
// buffers the caller already holds, in one corked write — the batch is never copied), with back-pressure
// from the socket (requests wait for 'drain' before they are written) and nothing else in between.
//
// Kafka answers the requests of one connection in the order it received them, so a response must carry the
// correlation id of the oldest request in flight; anything else (or a frame that does not decode) means the
// stream can no longer be trusted and the connection is closed. Every failure of the connection — refused,
// lost, timed out, garbage — rejects every request in flight with a ConnectionError that is `retriable`:
// an idempotent producer sends the same batches again, with the same stamps, on a new connection.
//
// On connect it asks ApiVersions (v0: every broker answers it) and picks the highest Produce version both
// sides speak. Plain TCP only: SASL and TLS are not supported here (the SDK's BusConfig has neither).
import { connect, type Socket } from 'node:net';
import { FrameDecoder, FrameTooLargeError } from '../../protocol/frame-decoder.ts';
import { encodeRequestHeader, responseHeaderVersion } from '../../protocol/headers.ts';
import { decodeApiVersionsResponse } from '../../protocol/messages/api-versions.ts';
import { Reader } from '../../protocol/reader.ts';
import { Writer } from '../../protocol/writer.ts';

const API_VERSIONS_KEY = 18;
const PRODUCE_KEY = 0;
/** Produce versions our request layout and the generated codec handle (v3: record batches v2). */
export const MIN_PRODUCE_VERSION = 3;
export const MAX_PRODUCE_VERSION = 11;
/** Responses to Produce and ApiVersions are small; a bigger frame means we are not talking to Kafka. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** The connection failed; `retriable`: a new connection may succeed (false: this broker cannot serve us). */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
  readonly retriable: boolean;
  readonly code: string | undefined;
  constructor(message: string, options: { retriable: boolean; code?: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retriable = options.retriable;
    this.code = options.code;
  }
}

export interface BrokerConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  connectTimeoutMs: number;
  /** How long a request may wait for its response; past it the connection is closed. */
  requestTimeoutMs: number;
}

interface InFlight {
  correlationId: number;
  apiKey: number;
  apiVersion: number;
  parse: (body: Reader) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

interface Waiting {
  write: () => void;
}

export class BrokerConnection {
  readonly #options: BrokerConnectionOptions;
  readonly #socket: Socket;
  readonly #decoder = new FrameDecoder(MAX_RESPONSE_BYTES);
  readonly #inFlight: InFlight[] = [];
  /** Requests held back until the socket drains, oldest first. */
  readonly #waiting: Waiting[] = [];
  #nextCorrelationId = 1;
  #failure: ConnectionError | undefined;
  #onClose: (() => void) | undefined;
  /** The Produce version to send on this connection (from ApiVersions). */
  produceVersion = -1;

  private constructor(options: BrokerConnectionOptions, socket: Socket) {
    this.#options = options;
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('drain', () => this.#drain());
    socket.on('error', (error: NodeJS.ErrnoException) =>
      this.#fail(
        new ConnectionError(`connection to ${this.address} failed: ${error.message}`, {
          retriable: true,
          code: error.code,
          cause: error,
        }),
      ),
    );
    socket.on('close', () =>
      this.#fail(
        new ConnectionError(`connection to ${this.address} closed by the broker`, { retriable: true }),
      ),
    );
  }

  /** Connects and negotiates the Produce version; rejects with a ConnectionError. */
  static async connect(options: BrokerConnectionOptions): Promise<BrokerConnection> {
    const socket = connect({ host: options.host, port: options.port });
    const connection = new BrokerConnection(options, socket);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        connection.#fail(
          new ConnectionError(
            `connecting to ${connection.address}: no connection within ${options.connectTimeoutMs} ms`,
            { retriable: true, code: 'ETIMEDOUT' },
          ),
        );
      }, options.connectTimeoutMs);
      connection.#onClose = () => {
        clearTimeout(timer);
        reject(
          connection.#failure ??
            new ConnectionError(`connection to ${connection.address} closed`, { retriable: true }),
        );
      };
      socket.once('connect', () => {
        clearTimeout(timer);
        connection.#onClose = undefined;
        resolve();
      });
    });
    const versions = await connection.request(API_VERSIONS_KEY, 0, [], false, (r) =>
      decodeApiVersionsResponse(r, 0),
    );
    const produce = versions!.apiKeys.find((k) => k.apiKey === PRODUCE_KEY);
    const version = Math.min(produce?.maxVersion ?? -1, MAX_PRODUCE_VERSION);
    if (
      versions!.errorCode !== 0 ||
      produce === undefined ||
      version < Math.max(produce.minVersion, MIN_PRODUCE_VERSION)
    ) {
      const what =
        versions!.errorCode !== 0
          ? `ApiVersions error code ${versions!.errorCode}`
          : produce === undefined
            ? 'no Produce API'
            : `Produce v${produce.minVersion}-${produce.maxVersion}`;
      const error = new ConnectionError(
        `broker ${connection.address} answers ${what}; this client sends Produce v${MIN_PRODUCE_VERSION}-${MAX_PRODUCE_VERSION}`,
        { retriable: false },
      );
      connection.#fail(error);
      throw error;
    }
    connection.produceVersion = version;
    return connection;
  }

  get address(): string {
    return `${this.#options.host}:${this.#options.port}`;
  }

  /** Set once the connection failed or was closed: it takes no more requests. */
  get failure(): ConnectionError | undefined {
    return this.#failure;
  }

  /** Called once when the connection fails or is closed (a pool forgets it then). */
  set onClose(listener: () => void) {
    if (this.#failure) listener();
    else this.#onClose = listener;
  }

  /**
   * Sends one request: the header, then `payload` as it is (its buffers must not change until the promise
   * settles). Resolves with `parse` of the response body — or, with `noResponse` (Produce with acks 0),
   * with undefined once the bytes were handed to the kernel.
   */
  request<T>(
    apiKey: number,
    apiVersion: number,
    payload: Buffer[],
    noResponse: boolean,
    parse: (body: Reader) => T,
  ): Promise<T | undefined> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<T | undefined>((resolve, reject) => {
      const write = (): void => {
        if (this.#failure) return reject(this.#failure);
        const correlationId = this.#nextCorrelationId;
        this.#nextCorrelationId = (this.#nextCorrelationId + 1) & 0x7fffffff;
        const header = new Writer(16 + this.#options.clientId.length);
        header.int32(0);
        encodeRequestHeader(header, { apiKey, apiVersion, correlationId, clientId: this.#options.clientId });
        let size = header.length - 4;
        for (const piece of payload) size += piece.length;
        header.setInt32(0, size);
        const entry: InFlight = {
          correlationId,
          apiKey,
          apiVersion,
          parse,
          resolve: resolve as (value: unknown) => void,
          reject,
          timer: undefined,
        };
        entry.timer = setTimeout(() => this.#timedOut(entry, noResponse), this.#options.requestTimeoutMs);
        if (!noResponse) this.#inFlight.push(entry);
        const pieces = [header.toBuffer(), ...payload.filter((piece) => piece.length > 0)];
        const socket = this.#socket;
        socket.cork();
        for (let i = 0; i < pieces.length - 1; i++) socket.write(pieces[i]);
        // Nothing comes back without a response: done once the last piece was written out.
        socket.write(
          pieces[pieces.length - 1],
          noResponse
            ? (error) => {
                clearTimeout(entry.timer);
                if (error) reject(this.#failure ?? error);
                else resolve(undefined);
              }
            : undefined,
        );
        socket.uncork();
      };
      if (this.#waiting.length > 0 || this.#socket.writableNeedDrain) this.#waiting.push({ write });
      else write();
    });
  }

  /** Closes the connection; requests in flight reject with a retriable ConnectionError. */
  close(): void {
    this.#fail(new ConnectionError(`connection to ${this.address} closed`, { retriable: true }));
  }

  #drain(): void {
    while (this.#waiting.length > 0 && !this.#socket.writableNeedDrain) this.#waiting.shift()!.write();
  }

  #timedOut(entry: InFlight, noResponse: boolean): void {
    const what = entry.apiKey === PRODUCE_KEY ? 'Produce' : `API ${entry.apiKey}`;
    this.#fail(
      new ConnectionError(
        `no ${noResponse ? 'write' : 'response'} to ${what} v${entry.apiVersion} (correlation id ${entry.correlationId}) from ${this.address} within ${this.#options.requestTimeoutMs} ms`,
        { retriable: true, code: 'ETIMEDOUT' },
      ),
    );
  }

  #receive(chunk: Buffer): void {
    if (this.#failure) return;
    let frames: Buffer[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      const detail = error instanceof FrameTooLargeError ? error.message : String(error);
      return this.#garbage(`a response frame that cannot be right: ${detail}`);
    }
    for (const frame of frames) {
      const head = this.#inFlight[0];
      if (frame.length < 4) return this.#garbage(`a response frame of ${frame.length} bytes`);
      const correlationId = frame.readInt32BE(0);
      if (head === undefined) {
        return this.#garbage(`a response (correlation id ${correlationId}) with no request in flight`);
      }
      if (correlationId !== head.correlationId) {
        return this.#garbage(
          `a response with correlation id ${correlationId} where ${head.correlationId} was next`,
        );
      }
      let value: unknown;
      try {
        const r = new Reader(frame, 4);
        if (responseHeaderVersion(head.apiKey, head.apiVersion) === 1) r.unknownTags();
        value = head.parse(r);
      } catch (error) {
        const what = head.apiKey === PRODUCE_KEY ? 'Produce' : `API ${head.apiKey}`;
        const detail = error instanceof Error ? error.message : String(error);
        return this.#garbage(`a ${what} v${head.apiVersion} response that does not decode: ${detail}`);
      }
      this.#inFlight.shift();
      clearTimeout(head.timer);
      head.resolve(value);
    }
  }

  #garbage(what: string): void {
    this.#fail(new ConnectionError(`broker ${this.address} sent ${what}`, { retriable: true }));
  }

  #fail(error: ConnectionError): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#socket.destroy();
    for (const entry of this.#inFlight.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    for (const waiting of this.#waiting.splice(0)) waiting.write();
    const listener = this.#onClose;
    this.#onClose = undefined;
    listener?.();
  }
}

/** One connection per broker, made when first needed and again after it failed. */
export class BrokerConnections {
  readonly #options: Omit<BrokerConnectionOptions, 'host' | 'port'>;
  readonly #connections = new Map<string, Promise<BrokerConnection>>();
  #closed = false;

  constructor(options: Omit<BrokerConnectionOptions, 'host' | 'port'>) {
    this.#options = options;
  }

  get(broker: { host: string; port: number }): Promise<BrokerConnection> {
    if (this.#closed) {
      return Promise.reject(new ConnectionError('connections closed', { retriable: false }));
    }
    const key = `${broker.host}:${broker.port}`;
    let connection = this.#connections.get(key);
    if (connection === undefined) {
      connection = BrokerConnection.connect({ ...this.#options, host: broker.host, port: broker.port });
      this.#connections.set(key, connection);
      const forget = (): void => {
        if (this.#connections.get(key) === connection) this.#connections.delete(key);
      };
      connection.then((c) => (c.onClose = forget), forget);
    }
    return connection;
  }

  close(): void {
    this.#closed = true;
    for (const connection of this.#connections.values()) {
      connection.then(
        (c) => c.close(),
        () => undefined,
      );
    }
    this.#connections.clear();
  }
}
