// The analytics settings in a topology: defaults, durations, and refusals that say which field is wrong.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topology } from '../../../src/topology/schema.ts';

const withAnalytics = (settings: Record<string, unknown>) => ({
  buses: { b: { kind: 'kafka', bootstrap: ['127.0.0.1:9092'] } },
  streams: { metrics: { bus: 'b', topic: 'metrics' } },
  components: { analytics: { kind: 'analytics', ...settings } },
});

test('{ kind: analytics } alone is valid: SQLite, the default retention, α = 1 %', () => {
  const { components } = topology.parse(withAnalytics({}));
  assert.deepEqual(components.analytics, {
    kind: 'analytics',
    httpPort: 0,
    enabled: true,
    streams: ['metrics'],
    store: { kind: 'sqlite' },
    retention: { '10s': 86_400_000, '1m': 604_800_000, '1h': 7_776_000_000 },
    retentionCheckInterval: 60_000,
    relativeAccuracy: 0.01,
  });
});

test('durations are integer milliseconds or <n>ms/s/m/h/d; a partial retention keeps the other defaults', () => {
  const { components } = topology.parse(
    withAnalytics({ retention: { '10s': '36h', '1h': 1000 }, retentionCheckInterval: '90s' }),
  );
  assert.ok(components.analytics.kind === 'analytics');
  assert.deepEqual(components.analytics.retention, { '10s': 129_600_000, '1m': 604_800_000, '1h': 1000 });
  assert.equal(components.analytics.retentionCheckInterval, 90_000);
});

test('a bad setting is refused naming its path and what was expected', () => {
  const refusals: [Record<string, unknown>, string, RegExp][] = [
    [{ retention: { '10s': '2 weeks' } }, 'components.analytics.retention.10s', /a duration such as/],
    [{ retention: { '5m': '1d' } }, 'components.analytics.retention', /5m/],
    [{ store: { kind: 'postgres' } }, 'components.analytics.store.url', /string/],
    [
      { store: { kind: 'postgres', url: 'postgres://x', schema: 'a-b' } },
      'components.analytics.store.schema',
      /plain SQL identifier/,
    ],
    [{ store: { kind: 'mysql' } }, 'components.analytics.store.kind', /sqlite|postgres/],
    [{ relativeAccuracy: 0.5 }, 'components.analytics.relativeAccuracy', /0\.1/],
    [{ deadLetterTopic: 'bad topic' }, 'components.analytics.deadLetterTopic', /Kafka topic name/],
  ];
  for (const [settings, path, message] of refusals) {
    const result = topology.safeParse(withAnalytics(settings));
    assert.equal(result.success, false, JSON.stringify(settings));
    const issue = result.error.issues[0];
    assert.equal(issue.path.join('.'), path, JSON.stringify(settings));
    assert.match(`${issue.message} ${JSON.stringify(issue)}`, message, JSON.stringify(settings));
  }
});
