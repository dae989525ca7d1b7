// The query API's refusals over HTTP: every bad parameter is a 400 whose error names it.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { pino } from 'pino';
import { startComponent } from '../../../src/services/start-component.ts';
import { startTestBroker, tempDir } from '../../helpers/broker.ts';
import { createTopicOn } from '../../helpers/target.ts';
import { analyticsTopology, getJson } from './harness.ts';

test('bad parameters are 400s naming the parameter; other methods are 405', async (t) => {
  const broker = await startTestBroker(t);
  const dir = await tempDir('sluice-analytics-api-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  await createTopicOn(broker.bootstrap, 'metrics', 1);
  const resolved = analyticsTopology(dir, broker.bootstrap, 'metrics', { analytics: {} });
  const running = await startComponent(resolved, 'analytics', { logger: pino({ level: 'silent' }) });
  t.after(() => running.stop());
  const port = running.httpPort;

  const refusals: [string, RegExp][] = [
    ['/api/v1/series', /parameter 'name' is required/],
    ['/api/v1/series?name=', /parameter 'name' is required/],
    ['/api/v1/series?name=m&step=5m', /parameter 'step' must be one of 10s, 1m, 1h, got '5m'/],
    [
      '/api/v1/series?name=m&from=yesterday',
      /parameter 'from' must be milliseconds since the epoch \(an integer\), got 'yesterday'/,
    ],
    ['/api/v1/series?name=m&to=1.5', /parameter 'to' must be milliseconds/],
    ['/api/v1/series?name=m&from=2000&to=1000', /parameter 'from' \(2000\) must be before 'to' \(1000\)/],
    ['/api/v1/series?name=m&match=route', /parameter 'match': 'route' is not key=value/],
    ['/api/v1/series?name=m&match=a=1,=2', /parameter 'match': '=2' is not key=value/],
    ['/api/v1/series?name=m&bogus=1', /unknown parameter 'bogus' \(known: name, match, from, to, step\)/],
    ['/api/v1/labels', /parameter 'name' is required/],
    ['/api/v1/names?name=x', /unknown parameter 'name' \(this endpoint takes none\)/],
  ];
  for (const [url, error] of refusals) {
    const res = await getJson<{ error: string }>(port, url);
    assert.equal(res.status, 400, url);
    assert.match(res.body.error, error, url);
  }
  const post = await fetch(`http://127.0.0.1:${port}/api/v1/series?name=m`, { method: 'POST' });
  assert.equal(post.status, 405);
  assert.deepEqual(await post.json(), { error: 'POST is not allowed: use GET' });

  // Good parameters on an empty store: empty answers, not errors; the default step follows the span.
  assert.deepEqual((await getJson(port, '/api/v1/names')).body, { names: [] });
  assert.deepEqual((await getJson(port, '/api/v1/labels?name=m')).body, { labels: {} });
  assert.deepEqual((await getJson(port, '/api/v1/series?name=m&from=0&to=3600000')).body, {
    resolution: '10s',
    series: [],
  });
  assert.deepEqual((await getJson(port, '/api/v1/series?name=m&from=0&to=86400000')).body, {
    resolution: '1m',
    series: [],
  });
  assert.deepEqual((await getJson(port, '/api/v1/series?name=m&from=0&to=864000000')).body, {
    resolution: '1h',
    series: [],
  });
});
