// Test-only fault seam: SLUICE_ALERTING_FAULT makes the process SIGKILL itself at a chosen point, so a test
// can prove the exactly-once notification contract across real crashes. Unset (the default) it does nothing.
//
//   kill-before-commit:<n>  in the n-th transaction that wrote notifications to the outbox, after the
//                           evaluation and before COMMIT (state, outbox and offsets are lost together)
//   kill-after-send:<n>     after the n-th notification a webhook accepted, before it is marked sent (it is
//                           sent again after the restart, with the same idempotency key)
export const FAULT_ENV = 'SLUICE_ALERTING_FAULT';

export interface AlertingFaults {
  beforeCommit(wroteOutbox: boolean): void;
  afterSend(): void;
}

export function faultsFromEnv(value = process.env[FAULT_ENV]): AlertingFaults {
  const none: AlertingFaults = { beforeCommit() {}, afterSend() {} };
  if (value === undefined || value === '') return none;
  const m = /^(kill-before-commit|kill-after-send):([1-9]\d*)$/.exec(value);
  if (m === null) {
    throw new Error(`${FAULT_ENV} must be kill-before-commit:<n> or kill-after-send:<n>, got "${value}"`);
  }
  const at = Number(m[2]);
  let seen = 0;
  const maybeKill = (): void => {
    if (++seen === at) process.kill(process.pid, 'SIGKILL');
  };
  return m[1] === 'kill-before-commit'
    ? { beforeCommit: (wrote) => void (wrote && maybeKill()), afterSend() {} }
    : { beforeCommit() {}, afterSend: maybeKill };
}
