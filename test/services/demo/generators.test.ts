import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccountsGenerator } from '../../../src/services/demo/accounts-generator.ts';
import { PaymentsGenerator, type BusinessEvent } from '../../../src/services/demo/payments-generator.ts';
import { random } from '../../../src/services/demo/random.ts';

function run(generator: { next(): BusinessEvent[] }, operations: number): BusinessEvent[] {
  return Array.from({ length: operations }, () => generator.next()).flat();
}

test('the same seed replays the same payments and accounts; another seed does not', () => {
  assert.deepEqual(run(new PaymentsGenerator(random(9)), 500), run(new PaymentsGenerator(random(9)), 500));
  assert.notDeepEqual(
    run(new PaymentsGenerator(random(9)), 500),
    run(new PaymentsGenerator(random(10)), 500),
  );
  assert.deepEqual(run(new AccountsGenerator(random(9)), 500), run(new AccountsGenerator(random(9)), 500));
  assert.notDeepEqual(
    run(new AccountsGenerator(random(9)), 500),
    run(new AccountsGenerator(random(10)), 500),
  );
});

test('generated amounts look like payments: positive, in cents, mostly small with a long tail', () => {
  const amounts = run(new PaymentsGenerator(random(1)), 5000)
    .filter((e) => e.type === 'payment.authorized')
    .map((e) => Number(e.payload.amount))
    .sort((a, b) => a - b);
  for (const amount of amounts) {
    assert.ok(amount >= 0.5, `${amount}`);
    assert.equal(Math.round(amount * 100) / 100, amount);
  }
  const median = amounts[Math.floor(amounts.length / 2)];
  assert.ok(median > 20 && median < 70, `median ${median}`);
  assert.ok(amounts[amounts.length - 1] > 5 * median, 'a long right tail');
});

test('an account is opened before anything else happens to it and nothing happens after it is closed', () => {
  const opened = new Set<string>();
  const closed = new Set<string>();
  for (const event of run(new AccountsGenerator(random(5)), 20_000)) {
    assert.ok(!closed.has(event.key), `${event.type} after ${event.key} was closed`);
    if (event.type === 'account.opened') {
      assert.ok(!opened.has(event.key));
      opened.add(event.key);
    } else assert.ok(opened.has(event.key), `${event.type} before ${event.key} was opened`);
    if (event.type === 'account.closed') closed.add(event.key);
  }
  assert.ok(closed.size > 0);
});
