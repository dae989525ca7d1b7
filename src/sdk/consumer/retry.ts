// Retry policy of the consumer runner: how many attempts a record gets and how long to wait between them
// (exponential back-off, capped). No jitter: a consumer retries one record at a time, so there is no herd
// to spread, and tests stay deterministic.
import { ConsumerConfigError, type RetryOptions } from './types.ts';

export interface RetryPolicy {
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  const attempts = options.attempts ?? 3;
  const initialDelayMs = options.initialDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new ConsumerConfigError(`retry.attempts must be an integer >= 1, got ${String(attempts)}`);
  }
  if (!Number.isFinite(initialDelayMs) || initialDelayMs < 0) {
    throw new ConsumerConfigError(
      `retry.initialDelayMs must be a number >= 0, got ${String(initialDelayMs)}`,
    );
  }
  if (!Number.isFinite(maxDelayMs) || maxDelayMs < initialDelayMs) {
    throw new ConsumerConfigError(
      `retry.maxDelayMs must be a number >= retry.initialDelayMs (${initialDelayMs}), got ${String(maxDelayMs)}`,
    );
  }
  return { attempts, initialDelayMs, maxDelayMs };
}

/** The wait after failed attempt `attempt` (1-based): initial, 2x, 4x, ... capped at maxDelayMs. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
}

/** setTimeout as a promise that resolves early (never rejects) when `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
