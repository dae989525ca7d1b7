// The group settings of the broker: defaults, and every invalid value refused with the setting's name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveBrokerConfig } from '../../../src/broker/config.ts';

test('group settings default to a 100 ms initial delay and Kafka session bounds (6 s to 30 min)', () => {
  const config = resolveBrokerConfig({});
  assert.deepEqual(
    [config.groupInitialRebalanceDelayMs, config.groupMinSessionTimeoutMs, config.groupMaxSessionTimeoutMs],
    [100, 6000, 1_800_000],
  );
  assert.equal(resolveBrokerConfig({ groupInitialRebalanceDelayMs: 0 }).groupInitialRebalanceDelayMs, 0);
});

test('invalid group settings are refused, naming the setting', () => {
  const refused = (input: Record<string, unknown>, setting: string) =>
    assert.throws(() => resolveBrokerConfig(input), new RegExp(`${setting}:`));
  refused({ groupInitialRebalanceDelayMs: -1 }, 'groupInitialRebalanceDelayMs');
  refused({ groupInitialRebalanceDelayMs: 1.5 }, 'groupInitialRebalanceDelayMs');
  refused({ groupMinSessionTimeoutMs: 0 }, 'groupMinSessionTimeoutMs');
  refused({ groupMaxSessionTimeoutMs: 2 ** 31 }, 'groupMaxSessionTimeoutMs');
  refused({ groupMinSessionTimeoutMs: 10_000, groupMaxSessionTimeoutMs: 9000 }, 'groupMinSessionTimeoutMs');
  assert.throws(
    () => resolveBrokerConfig({ groupMinSessionTimeoutMs: 10_000, groupMaxSessionTimeoutMs: 9000 }),
    /must not exceed groupMaxSessionTimeoutMs/,
  );
});
