// The `alerting` component kind: rules over metric streams, notifications, silences (see service.ts).
import type { ServiceMain } from '../runtime.ts';
import { startAlerting } from './service.ts';

export const main: ServiceMain = (ctx) => startAlerting(ctx);
