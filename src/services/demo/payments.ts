// Component kind `payments`: payment.authorized / payment.captured / payment.failed / refund.issued events
// keyed by payment id, with amount and failure metrics and logs for what an operator would look at.
import type { ServiceMain } from '../runtime.ts';
import { runBusinessService } from './business.ts';
import { PaymentsGenerator } from './payments-generator.ts';

const AMOUNT_BOUNDARIES = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

export const main: ServiceMain = (ctx) =>
  runBusinessService(ctx, (rnd) => {
    const generator = new PaymentsGenerator(rnd);
    return {
      next: () => generator.next(),
      observe({ type, payload }, { metrics, logs }) {
        metrics.counter('payments.events', 1, { type }, { unit: '{event}' });
        const currency = String(payload.currency);
        if (type === 'payment.authorized' || type === 'refund.issued') {
          const kind = type === 'refund.issued' ? 'refund' : 'payment';
          metrics.histogram(
            'payments.amount',
            Number(payload.amount),
            { currency, kind },
            {
              boundaries: AMOUNT_BOUNDARIES,
            },
          );
        }
        if (type === 'payment.failed') {
          const reason = String(payload.reason);
          metrics.counter(
            'payments.failures',
            1,
            { stage: String(payload.stage), reason },
            { unit: '{payment}' },
          );
          logs.warn('payment failed', { paymentId: payload.paymentId, stage: payload.stage, reason });
        } else if (type === 'refund.issued') {
          logs.info('refund issued', { paymentId: payload.paymentId, amount: payload.amount, currency });
        }
      },
    };
  });
