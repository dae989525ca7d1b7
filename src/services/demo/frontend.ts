// Component kind `frontend`: a web shop's front end. Its application listens on its own port (appPort) and
// is also reachable under /api/ on the component's port; an internal load generator sends it `rate` real
// requests per second over loopback. Everything it measures goes out through the SDK.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceMain } from '../runtime.ts';
import { CLOSE_TIMEOUT_MS, demoSettingsOf, openDemoTelemetry } from './common.ts';
import { createFrontendApp } from './frontend-app.ts';
import { startLoadGenerator } from './load-generator.ts';
import { random } from './random.ts';

export const main: ServiceMain = async (ctx) => {
  const settings = demoSettingsOf(ctx);
  const telemetry = await openDemoTelemetry(ctx, settings, ['metrics', 'logs']);
  const app = createFrontendApp(telemetry, random(settings.seed), settings);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/' || url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${ctx.name}: try /api/cart, /api/search?q=lamp, /api/products/p-1, POST /api/checkout\n`);
      return;
    }
    if (!app.handle(req, res, url)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(settings.appPort, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    await telemetry.close(CLOSE_TIMEOUT_MS);
    throw new Error(
      `${ctx.name}: cannot listen on appPort ${settings.appPort}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const appPort = (server.address() as AddressInfo).port;
  // Seeded apart from the app, so the request mix does not depend on the order responses come back in.
  const load = startLoadGenerator(appPort, settings.rate, random(settings.seed ^ 0x5bd1e995));
  ctx.logger.info({ appPort, rate: settings.rate, seed: settings.seed }, 'front end serving');

  return {
    routes: [(req, res, url) => app.handle(req, res, url)],
    details: () => ({
      appPort,
      seed: settings.seed,
      rate: settings.rate,
      errorRate: settings.errorRate,
      load: { ...load.counts, responses: { ...load.counts.responses }, inFlight: load.inFlight() },
      served: app.counts.served,
      errors: app.counts.errors,
      slow: app.counts.slow,
      active: app.active(),
      byRoute: app.counts.byRoute,
    }),
    async stop() {
      await load.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await telemetry.close(CLOSE_TIMEOUT_MS);
    },
  };
};
