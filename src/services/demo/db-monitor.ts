// Component kind `db-monitor`: a database's real statistics, published every exportIntervalMs. By default
// it keeps its own SQLite database (with a small workload at `rate` queries per second); with
// `postgresUrl` it watches that PostgreSQL instead (read only).
import type { ServiceMain } from '../runtime.ts';
import { CLOSE_TIMEOUT_MS, demoSettingsOf, openDemoTelemetry } from './common.ts';
import { openPostgresMonitor, redactUrl } from './postgres-monitor.ts';
import { random } from './random.ts';
import { openSqliteMonitor } from './sqlite-monitor.ts';
import { startTicker } from './ticker.ts';

export const main: ServiceMain = async (ctx) => {
  const settings = demoSettingsOf(ctx);
  const telemetry = await openDemoTelemetry(ctx, settings, ['metrics', 'logs']);

  if (settings.postgresUrl !== undefined) {
    const monitor = openPostgresMonitor(settings.postgresUrl, telemetry);
    let sampling: Promise<void> = monitor.sample();
    const timer = setInterval(() => {
      // One sample at a time: a slow database must not stack queries up.
      sampling = sampling.then(() => monitor.sample());
    }, settings.exportIntervalMs);
    ctx.logger.info({ postgres: redactUrl(settings.postgresUrl) }, 'watching PostgreSQL');
    return {
      details: () => monitor.details(),
      async stop() {
        clearInterval(timer);
        await sampling;
        await monitor.close();
        await telemetry.close(CLOSE_TIMEOUT_MS);
      },
    };
  }

  let monitor;
  try {
    monitor = openSqliteMonitor(ctx.dataDir, telemetry, random(settings.seed), settings.slowMs);
  } catch (error) {
    await telemetry.close(CLOSE_TIMEOUT_MS);
    throw new Error(
      `${ctx.name}: cannot open its SQLite database in ${ctx.dataDir}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const sqlite = monitor;
  let sampleErrors = 0;
  const sample = (): void => {
    try {
      sqlite.sample();
    } catch (error) {
      // A database that cannot be read is what a monitor reports; the process keeps running.
      sampleErrors += 1;
      telemetry.logs.error('cannot read SQLite statistics', { error: (error as Error).message });
    }
  };
  sample();
  const workload = startTicker(settings.rate, () => sqlite.runQuery());
  const timer = setInterval(sample, settings.exportIntervalMs);
  ctx.logger.info({ file: sqlite.file, rate: settings.rate }, 'watching SQLite');
  return {
    details: () => ({ seed: settings.seed, rate: settings.rate, sampleErrors, ...sqlite.details() }),
    async stop() {
      workload.stop();
      clearInterval(timer);
      sample();
      sqlite.close();
      await telemetry.close(CLOSE_TIMEOUT_MS);
    },
  };
};
