// The TCP listener: accepts connections, tracks them, and on close stops accepting, lets each connection
// finish the request it is handling (bounded by a grace period), then closes them all.
import { createServer, type Server } from 'node:net';
import type { Logger } from 'pino';
import type { BrokerContext } from '../broker-context.ts';
import type { HandlerRegistry } from '../handlers/handler.ts';
import { Connection } from './connection.ts';
import { FramePool } from './frame-pool.ts';

export interface ListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxFrameBytes: number;
  readonly registry: HandlerRegistry;
  readonly logger: Logger;
  /** Supplied once the port is bound, since the advertised port may be the bound one. */
  readonly context: () => BrokerContext;
}

export class Listener {
  readonly #server: Server;
  readonly #connections = new Set<Connection>();
  /** One pool for every connection: the idle memory it keeps is bounded once, not per client. */
  readonly #framePool = new FramePool();
  readonly #readPool = new FramePool();
  #nextId = 1;

  private constructor(server: Server, options: ListenerOptions) {
    this.#server = server;
    server.on('connection', (socket) => {
      const connection = new Connection({
        id: this.#nextId++,
        socket,
        broker: options.context(),
        registry: options.registry,
        maxFrameBytes: options.maxFrameBytes,
        framePool: this.#framePool,
        readPool: this.#readPool,
        logger: options.logger,
        onClose: (c) => {
          this.#connections.delete(c);
          options.context().metrics.connections.set(this.#connections.size);
        },
      });
      this.#connections.add(connection);
      options.context().metrics.connections.set(this.#connections.size);
    });
  }

  static async listen(options: ListenerOptions): Promise<Listener> {
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.host, port: options.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new Listener(server, options);
  }

  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string')
      throw new Error('listener is not bound to a TCP port');
    return address.port;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  async close(graceMs: number): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const inFlight = Promise.all([...this.#connections].map((c) => c.settle()));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([inFlight, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (const connection of this.#connections) connection.destroy();
    await stopped;
  }
}
