// Component kind `accounts`: account.opened / account.updated / account.closed and login.succeeded /
// login.failed events keyed by account id, with login and open-account metrics and logs of failed logins.
import type { ServiceMain } from '../runtime.ts';
import { AccountsGenerator } from './accounts-generator.ts';
import { runBusinessService } from './business.ts';

export const main: ServiceMain = (ctx) =>
  runBusinessService(ctx, (rnd) => {
    const generator = new AccountsGenerator(rnd);
    return {
      next: () => generator.next(),
      details: () => ({ openAccounts: generator.openAccounts }),
      observe({ type, payload }, { metrics, logs }) {
        metrics.counter('accounts.events', 1, { type }, { unit: '{event}' });
        metrics.gauge('accounts.open', generator.openAccounts, {}, { unit: '{account}' });
        if (type === 'login.succeeded' || type === 'login.failed') {
          const outcome = type === 'login.failed' ? 'failure' : 'success';
          metrics.counter(
            'accounts.logins',
            1,
            { outcome, method: String(payload.method) },
            { unit: '{login}' },
          );
        }
        if (type === 'login.failed') {
          logs.warn('login failed', {
            accountId: payload.accountId,
            method: payload.method,
            reason: payload.reason,
          });
        } else if (type === 'account.closed') {
          logs.info('account closed', { accountId: payload.accountId, reason: payload.reason });
        }
      },
    };
  });
