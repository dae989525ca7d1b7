// Lag per partition in records and seconds, and its export as prom-client gauges.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { LagTracker } from '../../../src/sdk/consumer/lag.ts';
import { backoffDelay, retryPolicy } from '../../../src/sdk/consumer/retry.ts';
import { record } from './fakes.ts';

test('lag in records is high watermark - position; in seconds the age of the oldest record not handled', async () => {
  const registry = new Registry();
  let now = 10_000;
  const lag = new LagTracker('g', registry, () => now);
  lag.assigned([
    { topic: 't', partition: 0 },
    { topic: 't', partition: 1 },
  ]);
  const hwms = [
    { topic: 't', partition: 0, offset: 10n },
    { topic: 't', partition: 1, offset: 4n },
  ];
  assert.deepEqual(lag.measure(hwms), [], 'no position known yet: nothing to report');

  const batch = [record(0, 5, 'a', 4_000), record(0, 6, 'b', 6_000)];
  lag.fetched(batch);
  assert.deepEqual(lag.measure(hwms), [
    { topic: 't', partition: 0, position: 5n, highWatermark: 10n, records: 5n, seconds: 6 },
  ]);
  lag.handled(batch[0], batch[1]);
  now = 11_000;
  assert.equal(lag.measure(hwms)[0].seconds, 5, 'the oldest pending record is now offset 6');
  lag.handled(batch[1], undefined);
  assert.equal(lag.measure(hwms)[0].seconds, 5, 'nothing fetched: the last handled record bounds it');
  lag.seek('t', 1, 4n);
  const caughtUp = lag.measure(hwms)[1];
  assert.deepEqual([caughtUp.records, caughtUp.seconds], [0n, 0]);

  const text = await registry.metrics();
  assert.match(text, /sluice_consumer_lag_records\{group="g",topic="t",partition="0"\} 3/);
  assert.match(text, /sluice_consumer_lag_seconds\{group="g",topic="t",partition="0"\} 5/);
  assert.match(text, /sluice_consumer_lag_records\{group="g",topic="t",partition="1"\} 0/);

  lag.revoked([{ topic: 't', partition: 0 }]);
  assert.doesNotMatch(await registry.metrics(), /partition="0"/, 'a revoked partition leaves the gauges');
  assert.equal(new LagTracker('other', registry, () => now).measure([]).length, 0, 'a registry is shared');
});

test('back-off doubles from the initial delay up to the cap', () => {
  const policy = retryPolicy({ attempts: 6, initialDelayMs: 100, maxDelayMs: 500 });
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n)),
    [100, 200, 400, 500, 500],
  );
  assert.deepEqual(retryPolicy(), { attempts: 3, initialDelayMs: 100, maxDelayMs: 10_000 });
});
