// The circuit breaker of the integration tests that stop a real bus: it opens within a few failed sends and
// probes every 100 ms to 1 s, so that a test sees the bus come back within a second of it returning.
import type { PublisherOptions } from '../../src/sdk/publisher/options.ts';

export const OUTAGE_BREAKER: PublisherOptions['breaker'] = {
  consecutiveFailures: 3,
  failureRatio: 0.5,
  windowMs: 5000,
  minThroughput: 10,
  halfOpenAfterMs: 100,
  maxHalfOpenAfterMs: 1000,
  closeAfterSuccesses: 2,
};
