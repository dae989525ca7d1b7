import assert from 'node:assert/strict';
import { test } from 'node:test';
import { faultsFromEnv } from '../../../src/services/alerting/faults.ts';

test('the fault seam is off when unset and refuses a value it does not know', () => {
  const none = faultsFromEnv('');
  none.beforeCommit(true);
  none.afterSend();
  assert.throws(
    () => faultsFromEnv('kill-before-commit'),
    /^Error: SLUICE_ALERTING_FAULT must be kill-before-commit:<n> or kill-after-send:<n>, got "kill-before-commit"$/,
  );
  assert.throws(() => faultsFromEnv('kill-after-send:0'), /got "kill-after-send:0"/);
});
