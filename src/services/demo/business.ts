// The loop shared by the business-event producers (payments, accounts): `rate` operations per second from
// a seeded generator, each event emitted keyed by its entity, then measured and logged by the service.
// When the events buffer is full and its policy is `block`, operations pause until it drains (counted as
// deferred) rather than piling up blocked records.
import type { PublishOutcome, Telemetry } from '../../sdk/index.ts';
import type { ServiceContext, ServiceHandle } from '../runtime.ts';
import { CLOSE_TIMEOUT_MS, demoSettingsOf, openDemoTelemetry } from './common.ts';
import type { BusinessEvent } from './payments-generator.ts';
import { random, type Random } from './random.ts';
import { startTicker } from './ticker.ts';

export interface BusinessService {
  next(): BusinessEvent[];
  /** Metrics and logs for one emitted event. */
  observe(event: BusinessEvent, telemetry: Telemetry): void;
  /** Service-specific figures for /status. */
  details?(): Record<string, unknown>;
}

export async function runBusinessService(
  ctx: ServiceContext,
  create: (rnd: Random) => BusinessService,
): Promise<ServiceHandle> {
  const settings = demoSettingsOf(ctx);
  const telemetry = await openDemoTelemetry(ctx, settings, ['metrics', 'logs', 'events']);
  const service = create(random(settings.seed));
  const emitted: Record<string, number> = {};
  const outcomes: Record<PublishOutcome, number> = { accepted: 0, dropped: 0, blocked: 0 };
  let operations = 0;
  let deferred = 0;
  let blocked = false;

  const ticker = startTicker(settings.rate, () => {
    if (blocked) {
      deferred += 1;
      return;
    }
    operations += 1;
    for (const event of service.next()) {
      const outcome = telemetry.events.emit(event.type, event.payload, { key: event.key });
      outcomes[outcome] += 1;
      emitted[event.type] = (emitted[event.type] ?? 0) + 1;
      service.observe(event, telemetry);
      if (outcome === 'blocked' && !blocked) {
        blocked = true;
        void telemetry.events.drained().then(() => (blocked = false));
      }
    }
  });
  ctx.logger.info({ rate: settings.rate, seed: settings.seed }, `${ctx.component.kind} generating`);

  return {
    details: () => ({
      seed: settings.seed,
      rate: settings.rate,
      operations,
      deferred,
      emitted: { ...emitted },
      outcomes: { ...outcomes },
      ...service.details?.(),
    }),
    async stop() {
      ticker.stop();
      await telemetry.close(CLOSE_TIMEOUT_MS);
    },
  };
}
