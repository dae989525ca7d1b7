// Accounts as an identity service sees them: accounts are opened, updated, logged into (sometimes with
// the wrong password) and closed. Each operation yields its event keyed by account id; an account's events
// come in its life order (opened first, closed last); the same seed yields the same sequence.
import type { BusinessEvent } from './payments-generator.ts';
import type { Random } from './random.ts';

interface Account {
  accountId: string;
  plan: string;
  country: string;
}

const PLANS = [
  ['free', 70],
  ['pro', 25],
  ['business', 5],
] as const;
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'NL', 'ES', 'IT', 'SE', 'PL', 'BR', 'JP', 'IN'];
const LOGIN_METHODS = [
  ['password', 60],
  ['sso', 25],
  ['passkey', 15],
] as const;
const FAILURES = [
  ['wrong_password', 75],
  ['mfa_failed', 15],
  ['locked', 10],
] as const;
/** Below this many open accounts every operation opens one; above MAX_OPEN none are opened. */
const MIN_OPEN = 10;
const MAX_OPEN = 5000;

export class AccountsGenerator {
  readonly #rnd: Random;
  readonly #open: Account[] = [];
  #next = 0;

  constructor(rnd: Random) {
    this.#rnd = rnd;
  }

  get openAccounts(): number {
    return this.#open.length;
  }

  next(): BusinessEvent[] {
    const rnd = this.#rnd;
    const few = this.#open.length < MIN_OPEN;
    const op = few
      ? 'open'
      : rnd.weighted([
          ['open', this.#open.length < MAX_OPEN ? 12 : 0],
          ['update', 18],
          ['login', 65],
          ['close', 5],
        ] as const);
    if (op === 'open') return [this.#opened()];
    const index = rnd.int(0, this.#open.length - 1);
    const account = this.#open[index];
    if (op === 'close') {
      this.#open.splice(index, 1);
      const reason = rnd.pick(['customer_request', 'inactivity', 'fraud']);
      return [{ type: 'account.closed', key: account.accountId, payload: { ...account, reason } }];
    }
    if (op === 'update') {
      const field = rnd.pick(['plan', 'country', 'email']);
      if (field === 'plan') account.plan = rnd.weighted(PLANS);
      if (field === 'country') account.country = rnd.pick(COUNTRIES);
      return [{ type: 'account.updated', key: account.accountId, payload: { ...account, changed: field } }];
    }
    const method = rnd.weighted(LOGIN_METHODS);
    const failed = rnd.chance(method === 'password' ? 0.12 : 0.03);
    return [
      {
        type: failed ? 'login.failed' : 'login.succeeded',
        key: account.accountId,
        payload: {
          accountId: account.accountId,
          method,
          country: rnd.chance(0.95) ? account.country : rnd.pick(COUNTRIES),
          ...(failed ? { reason: rnd.weighted(FAILURES) } : {}),
        },
      },
    ];
  }

  #opened(): BusinessEvent {
    const rnd = this.#rnd;
    const account: Account = {
      accountId: `acct-${(this.#next++).toString(36).padStart(5, '0')}-${rnd.hex(6)}`,
      plan: rnd.weighted(PLANS),
      country: rnd.pick(COUNTRIES),
    };
    this.#open.push(account);
    return { type: 'account.opened', key: account.accountId, payload: { ...account } };
  }
}
