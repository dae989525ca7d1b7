import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gauge, Harness } from './engine-harness.ts';

const RULES = (extra = '') => `
evaluation_interval: 10s
stale_after: 30s
route: { group_by: [alertname, service], group_wait: 0s, group_interval: 0s, repeat_interval: 1h }
rules:
  - name: DeepQueue
    metric: queue.depth
    aggregation: max
    window: 10s
    by: [service]
    op: '>'
    threshold: 100
    for: 20s
    severity: page
    annotations: { summary: 'queue of {{ $labels.service }} at {{ $value }}' }
${extra}`;

/** Points of several series in event-time order (as one producer exports them). */
function byTime(...lists: ReturnType<typeof series>[]) {
  return lists.flat().sort((a, b) => a.ts - b.ts);
}

/** One point every 10 s from second `from`: `values[i]` at from + 10 i. */
function series(service: string, from: number, values: number[]) {
  return values.map((v, i) => gauge('queue.depth', from + 10 * i, v, service));
}

test('a rule goes pending, fires after `for`, resolves, with one notification per transition', () => {
  const h = new Harness(RULES());
  h.ingest(...series('web', 0, [50, 150, 150]));
  // tick 10 s evaluated (the watermark is at 20 s): pending since 10 s
  assert.equal(h.alert('web')?.state, 'pending');
  assert.equal(h.alert('web')?.activeAt, h.alert('web')!.since);
  h.ingest(...series('web', 30, [150, 150]));
  // ticks 20 s (pending 10 s < 20 s) and 30 s (held 20 s: firing)
  const firing = h.alert('web')!;
  assert.equal(firing.state, 'firing');
  assert.deepEqual(firing.annotations, { summary: 'queue of web at 150' });
  assert.deepEqual(h.summary(), ['firing: web/firing@30']);
  h.ingest(...series('web', 50, [150, 50, 50, 50]));
  assert.equal(h.alert('web')?.state, 'resolved');
  assert.deepEqual(h.summary(), ['firing: web/firing@30', 'resolved: web/resolved@60']);
  const [fired, resolved] = h.notifications();
  assert.equal(fired.version, '4');
  assert.deepEqual(fired.groupLabels, { alertname: 'DeepQueue', service: 'web' });
  assert.deepEqual(fired.alerts[0].labels, { alertname: 'DeepQueue', service: 'web', severity: 'page' });
  assert.equal(fired.alerts[0].endsAt, '0001-01-01T00:00:00Z');
  assert.equal(resolved.alerts[0].fingerprint, fired.alerts[0].fingerprint);
  assert.notEqual(resolved.idempotencyKey, fired.idempotencyKey);
});

test('a condition shorter than `for` never fires', () => {
  const h = new Harness(RULES());
  h.ingest(...series('web', 0, [150, 150, 50, 50, 50]));
  assert.equal(h.alert('web')?.state, 'inactive');
  assert.deepEqual(h.notifications(), []);
});

test('keep_firing_for holds a firing alert through a short dip', () => {
  const h = new Harness(RULES().replace('for: 20s', 'for: 0s\n    keep_firing_for: 25s'));
  // fires at 0; false from 10; kept while less than 25 s since the last true evaluation (0): 10, 20; resolved at 30
  h.ingest(...series('web', 0, [150, 50, 50]));
  assert.equal(h.alert('web')?.state, 'firing');
  h.ingest(...series('web', 30, [50, 50]));
  assert.equal(h.alert('web')?.state, 'resolved');
  assert.deepEqual(h.summary(), ['firing: web/firing@0', 'resolved: web/resolved@30']);
});

test('silences hold back firing notifications, and the resolve of a notified alert still goes out', () => {
  const h = new Harness(RULES().replace('for: 20s', 'for: 0s'));
  h.silence({ matchers: [{ name: 'service', value: 'a.*', isRegex: true, isEqual: true }] });
  // api: silenced from the start. web: notified, then silenced, then resolved.
  h.ingest(...byTime(series('api', 0, [150, 150]), series('web', 0, [150, 150])));
  assert.deepEqual(h.summary(), ['firing: web/firing@0']);
  assert.equal(h.alert('api')?.state, 'firing');
  h.silence({ matchers: [{ name: 'service', value: 'web', isRegex: false, isEqual: true }] });
  h.ingest(...byTime(series('web', 20, [50, 50]), series('api', 20, [50, 50])));
  assert.equal(h.alert('web')?.state, 'resolved');
  assert.equal(h.alert('api')?.state, 'resolved');
  // api's firing was never sent, so neither is its resolve; web's resolve goes out although web is silenced
  assert.deepEqual(h.summary(), ['firing: web/firing@0', 'resolved: web/resolved@20']);
});

test('a silence that ends while the alert still fires lets its firing notification go out', () => {
  const h = new Harness(RULES().replace('for: 20s', 'for: 0s'));
  h.silence({
    matchers: [{ name: 'service', value: 'web', isRegex: false, isEqual: true }],
    endsAt: 1_764_242_015_000,
  });
  h.ingest(...series('web', 0, [150, 150, 150, 150]));
  assert.deepEqual(h.summary(), ['firing: web/firing@0']);
  assert.equal(h.notifications().length, 1);
});

test('a series with no points past stale_after goes to no-data, never to a false resolved', () => {
  const h = new Harness(RULES().replace('for: 20s', 'for: 0s'));
  h.ingest(...series('api', 0, [150, 150]), ...series('web', 0, [50, 50]));
  assert.equal(h.alert('api')?.state, 'firing');
  // api goes silent; web goes on, so event time advances
  h.ingest(...series('web', 20, [50, 50, 50, 50, 50]));
  assert.equal(h.alert('api')?.state, 'no-data');
  assert.deepEqual(h.summary(), ['firing: api/firing@0']);
  // api comes back still above the threshold: the same firing, no second notification
  h.ingest(...series('api', 70, [150, 150]), ...series('web', 70, [50, 50]));
  assert.equal(h.alert('api')?.state, 'firing');
  assert.deepEqual(h.summary(), ['firing: api/firing@0']);
  // and a real recovery resolves it
  h.ingest(...series('api', 90, [50, 50]), ...series('web', 90, [50, 50]));
  assert.equal(h.alert('api')?.state, 'resolved');
  assert.deepEqual(h.summary(), ['firing: api/firing@0', 'resolved: api/resolved@90']);
});

test('an unchanged firing group is notified again after repeat_interval, with a new key', () => {
  const h = new Harness(
    RULES().replace('for: 20s', 'for: 0s').replace('repeat_interval: 1h', 'repeat_interval: 30s'),
  );
  h.ingest(...series('web', 0, [150, 150, 150, 150, 150]));
  assert.deepEqual(h.summary(), ['firing: web/firing@0', 'firing: web/firing@0']);
  const [first, repeat] = h.notifications();
  assert.notEqual(first.idempotencyKey, repeat.idempotencyKey);
});

test('group_wait batches the alerts of a group into one notification', () => {
  const yaml = RULES()
    .replace('for: 20s', 'for: 0s')
    .replace('group_by: [alertname, service], group_wait: 0s', 'group_by: [alertname], group_wait: 10s');
  const h = new Harness(yaml);
  h.ingest(...byTime(series('web', 0, [150, 150, 150]), series('api', 10, [150, 150])));
  assert.deepEqual(h.summary(), ['firing: api/firing@10 web/firing@0']);
});

test('a partition read behind the others holds evaluation back until it catches up or goes idle', () => {
  const h = new Harness(RULES().replace('for: 20s', 'for: 0s'));
  // Both partitions start together; then partition 0 (web) runs 60 s ahead of partition 1 (api).
  h.ingestFrom(0, ...series('web', 0, [50]));
  h.ingestFrom(1, ...series('api', 0, [50]));
  h.ingestFrom(0, ...series('web', 10, [50, 50, 50, 50, 50, 50]));
  assert.equal(h.alert('api'), undefined);
  assert.deepEqual(h.summary(), []);
  // api's points come: it was above the threshold from 10 s, which evaluation sees at the right ticks.
  h.ingestFrom(1, ...series('api', 10, [150, 150, 150]));
  assert.equal(h.alert('api')?.state, 'firing');
  assert.deepEqual(h.summary(), ['firing: api/firing@10']);
  // partition 1 goes quiet (wall clock): after idleMs it no longer holds partition 0 back
  h.wall += 30_000;
  h.ingestFrom(0, ...series('web', 70, [50, 50]));
  assert.equal(h.alert('web')?.state, undefined);
  assert.equal(h.alert('api')?.state, 'no-data');
});
