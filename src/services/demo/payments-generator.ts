// Payments as a processor sees them: a payment is authorized (or fails authorization), later captured (or
// fails capture), and sometimes refunded. Each operation yields the events it causes, keyed by payment id,
// in the order they happened to that payment; the same seed yields the same sequence.
import type { Random } from './random.ts';

export interface BusinessEvent {
  type: string;
  /** The entity the event is about (its record key). */
  key: string;
  payload: Record<string, string | number | boolean>;
}

interface Payment {
  paymentId: string;
  amount: number;
  currency: string;
  method: string;
  merchant: string;
}

const CURRENCIES = [
  ['EUR', 55],
  ['USD', 30],
  ['GBP', 15],
] as const;
const METHODS = [
  ['card', 70],
  ['wallet', 20],
  ['sepa_debit', 10],
] as const;
const DECLINES = [
  ['card_declined', 50],
  ['insufficient_funds', 30],
  ['expired_card', 10],
  ['fraud_suspected', 10],
] as const;
/** Authorized payments waiting for capture, and captured ones that can still be refunded (oldest leave). */
const MAX_PENDING = 200;
const MAX_REFUNDABLE = 500;

export class PaymentsGenerator {
  readonly #rnd: Random;
  readonly #pending: Payment[] = [];
  readonly #refundable: Payment[] = [];
  #next = 0;

  constructor(rnd: Random) {
    this.#rnd = rnd;
  }

  /** One operation: a new payment, a capture or a refund. */
  next(): BusinessEvent[] {
    const rnd = this.#rnd;
    const op = rnd.weighted([
      ['new', 50],
      ['capture', this.#pending.length > 0 ? 42 : 0],
      ['refund', this.#refundable.length > 0 ? 8 : 0],
    ] as const);
    if (op === 'capture') return [this.#capture()];
    if (op === 'refund') return [this.#refund()];
    return this.#authorize();
  }

  #authorize(): BusinessEvent[] {
    const rnd = this.#rnd;
    const payment: Payment = {
      paymentId: `pay-${(this.#next++).toString(36).padStart(5, '0')}-${rnd.hex(6)}`,
      amount: Math.max(0.5, Math.round(rnd.logNormal(38, 0.9) * 100) / 100),
      currency: rnd.weighted(CURRENCIES),
      method: rnd.weighted(METHODS),
      merchant: `m-${rnd.int(1, 25)}`,
    };
    if (rnd.chance(0.07)) {
      return [event('payment.failed', payment, { stage: 'authorization', reason: rnd.weighted(DECLINES) })];
    }
    this.#pending.push(payment);
    if (this.#pending.length > MAX_PENDING) this.#pending.shift();
    return [event('payment.authorized', payment, {})];
  }

  #capture(): BusinessEvent {
    const rnd = this.#rnd;
    const [payment] = this.#pending.splice(rnd.int(0, Math.min(this.#pending.length, 20) - 1), 1);
    if (rnd.chance(0.02)) {
      return event('payment.failed', payment, { stage: 'capture', reason: 'processor_timeout' });
    }
    this.#refundable.push(payment);
    if (this.#refundable.length > MAX_REFUNDABLE) this.#refundable.shift();
    return event('payment.captured', payment, {});
  }

  #refund(): BusinessEvent {
    const rnd = this.#rnd;
    const [payment] = this.#refundable.splice(rnd.int(0, this.#refundable.length - 1), 1);
    const partial = rnd.chance(0.3);
    const amount = partial ? Math.round(payment.amount * rnd.int(10, 90)) / 100 : payment.amount;
    return {
      type: 'refund.issued',
      key: payment.paymentId,
      payload: {
        paymentId: payment.paymentId,
        refundId: `ref-${rnd.hex(8)}`,
        amount,
        currency: payment.currency,
        partial,
        merchant: payment.merchant,
      },
    };
  }
}

function event(type: string, payment: Payment, extra: BusinessEvent['payload']): BusinessEvent {
  return { type, key: payment.paymentId, payload: { ...payment, ...extra } };
}
