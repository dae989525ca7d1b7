// The breaker's transitions under a flapping bus, with a manual clock: every back-off, cap and probe
// outcome is exact because nothing reads wall time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CircuitBreaker } from '../../../src/sdk/publisher/breaker.ts';
import type { BreakerSettings, BreakerTransition } from '../../../src/sdk/publisher/breaker.ts';

const SETTINGS: BreakerSettings = {
  consecutiveFailures: 3,
  failureRatio: 0.5,
  windowMs: 10_000,
  minThroughput: 10,
  halfOpenAfterMs: 1_000,
  maxHalfOpenAfterMs: 8_000,
  closeAfterSuccesses: 2,
};

function setup(settings: Partial<BreakerSettings> = {}) {
  let now = 0;
  const transitions: BreakerTransition[] = [];
  const breaker = new CircuitBreaker(
    { ...SETTINGS, ...settings },
    () => now,
    (t) => transitions.push(t),
  );
  return {
    breaker,
    transitions,
    advance: (ms: number) => (now += ms),
    path: () =>
      transitions.map((t) => `${t.to}:${t.reason}${t.backoffMs === undefined ? '' : `@${t.backoffMs}`}`),
  };
}

test('opens after N consecutive failures, not before; a success resets the count', () => {
  const { breaker, path } = setup();
  breaker.failure();
  breaker.failure();
  breaker.success();
  breaker.failure();
  breaker.failure();
  assert.equal(breaker.state, 'closed');
  breaker.failure();
  assert.equal(breaker.state, 'open');
  assert.deepEqual(path(), ['open:consecutive_failures@1000']);
});

test('opens on the failure ratio only once the window holds minThroughput outcomes', () => {
  const { breaker, path, advance } = setup({ consecutiveFailures: 100 });
  // Alternate: 50% failures, never 2 in a row. 9 outcomes: below minThroughput.
  for (let i = 0; i < 9; i++) {
    if (i % 2 === 0) breaker.failure();
    else breaker.success();
    advance(10);
  }
  assert.equal(breaker.state, 'closed');
  breaker.success(); // 10 outcomes, 5 failures = 0.5 but the last was a success: checked on failures only
  assert.equal(breaker.state, 'closed');
  breaker.failure(); // 11 outcomes, 6 failures
  assert.equal(breaker.state, 'open');
  assert.deepEqual(path(), ['open:failure_ratio@1000']);
});

test('outcomes older than the window do not count toward the ratio', () => {
  const { breaker, advance } = setup({ consecutiveFailures: 100 });
  for (let i = 0; i < 20; i++) breaker.success();
  advance(10_001); // the 20 successes age out; had they counted, 6 failures in 30 would not open
  for (let i = 0; i < 4; i++) {
    breaker.failure();
    breaker.success();
  }
  breaker.failure();
  assert.equal(breaker.state, 'closed', '9 outcomes: below minThroughput');
  breaker.failure();
  assert.equal(breaker.state, 'open');
});

test('open waits its back-off, then half-open; M probe successes close it', () => {
  const { breaker, advance, path } = setup();
  for (let i = 0; i < 3; i++) breaker.failure();
  assert.equal(breaker.delayUntilAttempt(), 1000);
  advance(999);
  assert.equal(breaker.delayUntilAttempt(), 1);
  assert.equal(breaker.state, 'open');
  advance(1);
  assert.equal(breaker.delayUntilAttempt(), 0);
  assert.equal(breaker.state, 'half-open');
  breaker.success();
  assert.equal(breaker.state, 'half-open');
  assert.equal(breaker.delayUntilAttempt(), 0);
  breaker.success();
  assert.equal(breaker.state, 'closed');
  assert.deepEqual(path(), [
    'open:consecutive_failures@1000',
    'half-open:backoff_elapsed',
    'closed:probes_succeeded',
  ]);
});

test('a long outage doubles the back-off at each failed probe up to the cap; recovery resets it', () => {
  const { breaker, advance, path } = setup();
  for (let i = 0; i < 3; i++) breaker.failure();
  const waits: number[] = [];
  for (let probe = 0; probe < 6; probe++) {
    const wait = breaker.delayUntilAttempt();
    waits.push(wait);
    advance(wait);
    assert.equal(breaker.delayUntilAttempt(), 0);
    assert.equal(breaker.state, 'half-open');
    breaker.failure();
    assert.equal(breaker.state, 'open');
  }
  assert.deepEqual(waits, [1000, 2000, 4000, 8000, 8000, 8000]);
  advance(breaker.delayUntilAttempt());
  breaker.delayUntilAttempt();
  breaker.success();
  breaker.success();
  assert.equal(breaker.state, 'closed');
  for (let i = 0; i < 3; i++) breaker.failure();
  assert.equal(breaker.delayUntilAttempt(), 1000, 'the next outage starts from halfOpenAfterMs again');
  assert.equal(path().filter((p) => p.startsWith('open:probe_failed')).length, 6);
});

test('a probe that fails after some probe successes reopens (successes do not carry over)', () => {
  const { breaker, advance } = setup({ closeAfterSuccesses: 3 });
  for (let i = 0; i < 3; i++) breaker.failure();
  advance(1000);
  breaker.delayUntilAttempt();
  breaker.success();
  breaker.success();
  breaker.failure();
  assert.equal(breaker.state, 'open');
  advance(2000);
  breaker.delayUntilAttempt();
  breaker.success();
  breaker.success();
  assert.equal(breaker.state, 'half-open', 'needs 3 fresh successes');
  breaker.success();
  assert.equal(breaker.state, 'closed');
});

test('a flapping bus: every transition reported in order with its time', () => {
  const { breaker, advance, transitions } = setup({ closeAfterSuccesses: 1 });
  // up, down, up, down: each outage opens; each recovery closes after one probe.
  for (let cycle = 0; cycle < 3; cycle++) {
    breaker.success();
    for (let i = 0; i < 3; i++) breaker.failure();
    advance(1000);
    breaker.delayUntilAttempt();
    breaker.success();
  }
  assert.deepEqual(
    transitions.map((t) => [t.from, t.to, t.at]),
    [
      ['closed', 'open', 0],
      ['open', 'half-open', 1000],
      ['half-open', 'closed', 1000],
      ['closed', 'open', 1000],
      ['open', 'half-open', 2000],
      ['half-open', 'closed', 2000],
      ['closed', 'open', 2000],
      ['open', 'half-open', 3000],
      ['half-open', 'closed', 3000],
    ],
  );
});

test('jitter only shortens the back-off, never past the cap', () => {
  let now = 0;
  const breaker = new CircuitBreaker(
    { ...SETTINGS, jitter: 0.5 },
    () => now,
    () => {},
    () => 1,
  );
  for (let i = 0; i < 3; i++) breaker.failure();
  assert.equal(breaker.delayUntilAttempt(), 500);
  now += 500;
  assert.equal(breaker.delayUntilAttempt(), 0);
});
