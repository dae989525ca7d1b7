// The front end's own traffic: `rate` real HTTP requests per second to its application over loopback, on
// keep-alive connections, with a shopper's mix of routes. What it sent and what came back is counted, so
// /status can be compared with what the server measured and what consumers received.
import http from 'node:http';
import type { Random } from './random.ts';
import { startTicker } from './ticker.ts';

/** Requests in flight beyond this are skipped (and counted): a slow app must not pile up sockets. */
const MAX_IN_FLIGHT = 256;
const STOP_WAIT_MS = 5000;

export interface LoadCounts {
  sent: number;
  /** Responses by status code. */
  responses: Record<string, number>;
  /** Requests that got no response (connection refused or reset). */
  failed: number;
  /** Requests not sent because MAX_IN_FLIGHT were pending. */
  skipped: number;
}

export interface LoadGenerator {
  readonly counts: LoadCounts;
  inFlight(): number;
  /** Stops sending, waits (bounded) for the requests in flight, closes the connections. */
  stop(): Promise<void>;
}

const SEARCHES = ['shoes', 'lamp', 'coffee', 'desk', 'usb-c cable', 'tent', 'headphones'];

function nextRequest(rnd: Random): { method: string; path: string } {
  const kind = rnd.weighted([
    ['product', 40],
    ['search', 25],
    ['cart', 25],
    ['checkout', 10],
  ] as const);
  if (kind === 'product') return { method: 'GET', path: `/api/products/p-${rnd.int(1, 500)}` };
  if (kind === 'search')
    return { method: 'GET', path: `/api/search?q=${encodeURIComponent(rnd.pick(SEARCHES))}` };
  if (kind === 'cart') return { method: 'GET', path: '/api/cart' };
  return { method: 'POST', path: '/api/checkout' };
}

export function startLoadGenerator(port: number, rate: number, rnd: Random): LoadGenerator {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const counts: LoadCounts = { sent: 0, responses: {}, failed: 0, skipped: 0 };
  let inFlight = 0;
  let settled: (() => void) | undefined;

  function send(): void {
    if (inFlight >= MAX_IN_FLIGHT) {
      counts.skipped += 1;
      return;
    }
    const { method, path } = nextRequest(rnd);
    inFlight += 1;
    counts.sent += 1;
    let finished = false;
    // A request ends once: with its response, or with the first error of the request or the response.
    const done = (code?: string): void => {
      if (finished) return;
      finished = true;
      if (code === undefined) counts.failed += 1;
      else counts.responses[code] = (counts.responses[code] ?? 0) + 1;
      inFlight -= 1;
      if (inFlight === 0) settled?.();
    };
    const req = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
      res.resume();
      res.once('end', () => done(String(res.statusCode ?? 0)));
      res.once('error', () => done());
    });
    req.once('error', () => done());
    req.end(method === 'POST' ? JSON.stringify({ items: rnd.int(1, 5) }) : undefined);
  }

  const ticker = startTicker(rate, send);
  return {
    counts,
    inFlight: () => inFlight,
    async stop() {
      ticker.stop();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, STOP_WAIT_MS);
          settled = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      agent.destroy();
    },
  };
}
