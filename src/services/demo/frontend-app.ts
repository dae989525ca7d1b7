// The front end's application: a few shop routes whose work is simulated (a latency drawn from a per-route
// log-normal, a configurable share of 500s), each request measured the way an instrumented web service
// measures itself: http.server.requests (route, method, code), http.server.duration (ms, by route),
// http.server.errors, and a log for every error and every slow request.
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Telemetry } from '../../sdk/index.ts';
import type { Random } from './random.ts';

interface RouteSpec {
  /** The route template, as in the metrics' `route` attribute. */
  route: string;
  method: string;
  match(pathname: string): boolean;
  /** Median latency (ms) and log-normal shape. */
  medianMs: number;
  sigma: number;
  body(rnd: Random, url: URL): unknown;
}

export const ROUTES: readonly RouteSpec[] = [
  {
    route: '/api/cart',
    method: 'GET',
    match: (p) => p === '/api/cart',
    medianMs: 12,
    sigma: 0.6,
    body: (rnd) => ({ items: rnd.int(0, 6), currency: 'EUR' }),
  },
  {
    route: '/api/checkout',
    method: 'POST',
    match: (p) => p === '/api/checkout',
    medianMs: 60,
    sigma: 0.7,
    body: (rnd) => ({ order: `o-${rnd.hex(10)}`, status: 'placed' }),
  },
  {
    route: '/api/search',
    method: 'GET',
    match: (p) => p === '/api/search',
    medianMs: 30,
    sigma: 0.9,
    body: (rnd, url) => ({ q: url.searchParams.get('q') ?? '', hits: rnd.int(0, 200) }),
  },
  {
    route: '/api/products/:id',
    method: 'GET',
    match: (p) => /^\/api\/products\/[^/]+$/.test(p),
    medianMs: 8,
    sigma: 0.5,
    body: (rnd, url) => ({ id: url.pathname.split('/')[3], stock: rnd.int(0, 40) }),
  },
];

export interface AppCounts {
  /** Responses written (every one is counted in http.server.requests). */
  served: number;
  /** Of those, 5xx. */
  errors: number;
  slow: number;
  byRoute: Record<string, Record<string, number>>;
}

export interface FrontendApp {
  /** Serves `req` when it is one of the app's paths (`/api/...`); false otherwise. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean;
  readonly counts: AppCounts;
  /** Requests being worked on. */
  active(): number;
}

export function createFrontendApp(
  telemetry: Telemetry,
  rnd: Random,
  options: { errorRate: number; slowMs: number },
): FrontendApp {
  const counts: AppCounts = { served: 0, errors: 0, slow: 0, byRoute: {} };
  let active = 0;
  let nextId = 0;

  function finish(
    res: http.ServerResponse,
    route: string,
    method: string,
    code: number,
    started: number,
    body: unknown,
  ): void {
    const durationMs = performance.now() - started;
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
    const { metrics, logs } = telemetry;
    metrics.counter('http.server.requests', 1, { route, method, code }, { unit: '{request}' });
    metrics.histogram('http.server.duration', durationMs, { route }, { unit: 'ms' });
    counts.served += 1;
    const perRoute = (counts.byRoute[route] ??= {});
    perRoute[code] = (perRoute[code] ?? 0) + 1;
    const fields = { requestId: `r-${nextId++}`, route, method, code, durationMs: Math.round(durationMs) };
    if (code >= 500) {
      counts.errors += 1;
      metrics.counter('http.server.errors', 1, { route, code }, { unit: '{request}' });
      logs.error('request failed', fields);
    } else if (durationMs > options.slowMs) {
      counts.slow += 1;
      logs.warn('slow request', fields);
    }
  }

  async function work(spec: RouteSpec, res: http.ServerResponse, url: URL, started: number): Promise<void> {
    active += 1;
    telemetry.metrics.gauge('http.server.active_requests', active, {}, { unit: '{request}' });
    try {
      await sleep(rnd.logNormal(spec.medianMs, spec.sigma));
      if (rnd.chance(options.errorRate)) {
        finish(res, spec.route, spec.method, 500, started, { error: 'simulated failure' });
      } else {
        finish(res, spec.route, spec.method, 200, started, spec.body(rnd, url));
      }
    } finally {
      active -= 1;
      telemetry.metrics.gauge('http.server.active_requests', active, {}, { unit: '{request}' });
    }
  }

  return {
    counts,
    active: () => active,
    handle(req, res, url) {
      if (!url.pathname.startsWith('/api/')) return false;
      const started = performance.now();
      const method = req.method ?? 'GET';
      // Bodies are not used; drain them so keep-alive connections stay usable.
      req.resume();
      const spec = ROUTES.find((r) => r.match(url.pathname));
      if (spec === undefined) {
        finish(res, 'unmatched', method, 404, started, { error: `no route ${url.pathname}` });
      } else if (spec.method !== method) {
        finish(res, spec.route, method, 405, started, { error: `${spec.route} takes ${spec.method}` });
      } else {
        void work(spec, res, url, started);
      }
      return true;
    },
  };
}
