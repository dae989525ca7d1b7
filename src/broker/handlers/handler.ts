// What a request handler is: one per API key, declaring the version range it implements. ApiVersions is built
// from these declarations, so the broker never advertises a version it cannot serve. Handlers answer with
// Kafka error codes inside the response; a throw is a bug and closes the connection.
import type { ApiDefinition } from '../../protocol/messages/index.ts';
import type { BrokerContext } from '../broker-context.ts';

/** Returned by a handler when the request gets no response at all (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no response');

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  /** Resolves when the connection closes; long-running handlers use it to stop waiting. */
  readonly closed: Promise<void>;
  /** Closes the connection after logging why (Kafka's answer to a failed Produce with acks=0). */
  close(reason: string): void;
}

export interface RequestContext {
  readonly broker: BrokerContext;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string;
  readonly connection: ConnectionInfo;
  /**
   * Buffers for log reads whose records go out in this request's response and nowhere else: the connection
   * takes them back for reuse once the socket has sent the response. Absent, reads allocate their own.
   */
  readonly allocateRead?: (n: number) => Buffer;
}

export type HandlerResult<Res> = Res | typeof NO_RESPONSE;

export interface Handler<Req = unknown, Res = unknown> {
  readonly api: ApiDefinition<Req, Res>;
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * Large Buffers of the response (record batches) are sent by reference, so they must stay unchanged
   * after the handler returned them, until the socket has sent them.
   */
  handle(ctx: RequestContext, request: Req): HandlerResult<Res> | Promise<HandlerResult<Res>>;
}

/** Identity helper that keeps the request and response types of one API tied together. */
export function defineHandler<Req, Res>(handler: Handler<Req, Res>): Handler<Req, Res> {
  if (handler.minVersion < handler.api.minVersion || handler.maxVersion > handler.api.maxVersion) {
    throw new Error(
      `${handler.api.name} handler declares versions ${handler.minVersion}-${handler.maxVersion} ` +
        `outside the schema's ${handler.api.minVersion}-${handler.api.maxVersion}`,
    );
  }
  return handler;
}

/** A handler of some API; the registry dispatches by key, so the request/response types are erased here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHandler = Handler<any, any>;

export class HandlerRegistry {
  readonly #byKey = new Map<number, Handler>();

  register(handler: AnyHandler): void {
    const key = handler.api.apiKey;
    if (this.#byKey.has(key))
      throw new Error(`a handler for ${handler.api.name} (key ${key}) is already registered`);
    this.#byKey.set(key, handler);
  }

  get(apiKey: number): Handler | undefined {
    return this.#byKey.get(apiKey);
  }

  /** The advertised ranges, sorted by API key. */
  supportedVersions(): { apiKey: number; minVersion: number; maxVersion: number }[] {
    return [...this.#byKey.values()]
      .map((h) => ({ apiKey: h.api.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }
}
