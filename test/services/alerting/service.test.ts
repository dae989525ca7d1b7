import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import type { AlertView } from '../../../src/services/alerting/api.ts';
import { startAlerting } from '../../../src/services/alerting/service.ts';
import { startComponent } from '../../../src/services/start-component.ts';
import { readPartition } from '../../integration/read-back.ts';
import { startTarget, uniqueTopic } from '../../helpers/target.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { alertingTopology, gaugeAt, publish, QUEUE_RULES, startWebhookReceiver } from './fixtures.ts';

interface ApiBody {
  id?: string;
  error?: string;
  alerts?: AlertView[];
  silences?: unknown[];
}

async function call(
  port: number,
  method: string,
  pathname: string,
  body?: unknown,
): Promise<{ status: number; body: ApiBody }> {
  const res = await fetch(`http://127.0.0.1:${port}${pathname}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as ApiBody };
}

test('alerting: fires and resolves to a webhook, silences through the API, dead-letters bad records, no-data when the stream goes stale', async () => {
  const target = await startTarget();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-alerting-'));
  const hook = await startWebhookReceiver();
  const topic = uniqueTopic('metrics');
  await target.createTopic(topic, 3);
  await target.createTopic(`${topic}.dlq`, 1);
  const rulesFile = path.join(dir, 'rules.yaml');
  await writeFile(rulesFile, QUEUE_RULES);
  const resolved = alertingTopology(dir, target.bootstrap, topic, { rulesFile, webhooks: [hook.url] });
  let clock = Date.now();
  let running: Awaited<ReturnType<typeof startComponent>> | undefined;
  try {
    running = await startComponent(resolved, 'alerts', {
      main: (ctx) => startAlerting(ctx, { now: () => clock }),
      logger: pino({ level: 'silent' }),
    });
    const port = running.httpPort;
    // Silences: bad input is refused naming the field; a silence on service=api is stored and listed.
    assert.deepEqual(await call(port, 'POST', '/api/v1/silences', 'nope'), {
      status: 400,
      body: { error: `the body is not JSON: Unexpected token 'o', "nope" is not valid JSON` },
    });
    assert.deepEqual(await call(port, 'POST', '/api/v1/silences', { matchers: [], startsAt: 1, endsAt: 2 }), {
      status: 400,
      body: { error: 'matchers: at least one matcher' },
    });
    const range = { startsAt: clock - 3_600_000, endsAt: clock + 3_600_000 };
    const badRegex = await call(port, 'POST', '/api/v1/silences', {
      matchers: [{ name: 'service', value: '(', isRegex: true }],
      ...range,
    });
    assert.equal(badRegex.status, 400);
    assert.match(badRegex.body.error!, /^matchers\.0\.value: Invalid regular expression/);
    const bad = await call(port, 'POST', '/api/v1/silences', {
      matchers: [{ name: 'service', value: 'api' }],
      ...range,
      endsAt: range.startsAt,
    });
    assert.deepEqual(bad, { status: 400, body: { error: 'endsAt: must be after startsAt' } });
    const created = await call(port, 'POST', '/api/v1/silences', {
      matchers: [{ name: 'service', value: 'api', isRegex: false }],
      ...range,
      comment: 'maintenance',
      createdBy: 'ops',
    });
    assert.equal(created.status, 200);
    const listed = await call(port, 'GET', '/api/v1/silences');
    assert.deepEqual(listed.body, {
      silences: [
        {
          id: created.body.id,
          matchers: [{ name: 'service', value: 'api', isRegex: false, isEqual: true }],
          ...range,
          comment: 'maintenance',
          createdBy: 'ops',
        },
      ],
    });
    const extra = await call(port, 'POST', '/api/v1/silences', {
      matchers: [{ name: 'x', value: 'y' }],
      ...range,
    });
    assert.deepEqual(await call(port, 'DELETE', `/api/v1/silences/${extra.body.id}`), {
      status: 200,
      body: { id: extra.body.id },
    });
    assert.equal((await call(port, 'DELETE', `/api/v1/silences/${extra.body.id}`)).status, 404);

    // web: above 100 from 0 to 40 s, then below; api: above all along (silenced). Two bad records on the way.
    const base = Math.floor(clock / 10_000) * 10_000 - 200_000;
    const points = [];
    for (let s = 0; s <= 90; s += 10) {
      points.push(gaugeAt('queue.depth', base + s * 1000, s <= 40 ? 150 : 50, 'web'));
      points.push(gaugeAt('queue.depth', base + s * 1000, 150, 'api'));
    }
    await publish(target.bootstrap, topic, [
      ...points.slice(0, 6),
      'not json',
      '{"v":1,"kind":"metric"}',
      ...points.slice(6),
    ]);

    await waitFor(() => hook.deliveries.length >= 2 && hook.deliveries, { what: 'two notifications' });
    const web = (n: number) => hook.deliveries[n].notification;
    assert.equal(web(0).status, 'firing');
    assert.deepEqual(
      web(0).alerts.map((a) => [a.labels.service, a.status, a.startsAt]),
      [['web', 'firing', new Date(base + 10_000).toISOString()]],
    );
    assert.deepEqual(web(0).alerts[0].annotations, { summary: 'queue of web at 150' });
    assert.equal(web(1).status, 'resolved');
    assert.deepEqual(
      web(1).alerts.map((a) => [a.labels.service, a.status, a.endsAt]),
      [['web', 'resolved', new Date(base + 50_000).toISOString()]],
    );

    const alerts = await waitFor(
      async () => {
        const list = (await call(port, 'GET', '/api/v1/alerts')).body.alerts!;
        return (
          list.length === 2 && list.find((a) => a.labels.service === 'web')?.state === 'resolved' && list
        );
      },
      { what: 'web resolved and api firing on /api/v1/alerts' },
    );
    const api = alerts.find((a) => a.labels.service === 'api')!;
    assert.deepEqual(
      { ...api, fingerprint: '' },
      {
        rule: 'DeepQueue',
        fingerprint: '',
        labels: { alertname: 'DeepQueue', service: 'api', severity: 'page' },
        state: 'firing',
        severity: 'page',
        since: base + 10_000,
        value: 150,
        annotations: { summary: 'queue of api at 150' },
        silenced: true,
      },
    );

    // The bad records went to the dead-letter topic with the reason, and were counted.
    const dead = await waitFor(
      async () => {
        const records = await readPartition(target.bootstrap, `${topic}.dlq`);
        return records.length === 2 && records;
      },
      { what: 'two dead letters' },
    );
    const reasons = dead.map((r) => r.headers.find((h) => h.startsWith('sluice.dlq.error='))).sort();
    assert.match(reasons[0]!, /^sluice\.dlq\.error=NonRetriableError: not-json at \$: /);
    assert.match(reasons[1]!, /^sluice\.dlq\.error=NonRetriableError: schema at \$\.\w+: /);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /sluice_alerting_bad_records_total\{reason="not-json"\} 1/);
    assert.match(metrics, /sluice_alerting_bad_records_total\{reason="schema"\} 1/);

    // No record for longer than stale_after (the injected wall clock): every alert is no-data, not resolved.
    clock += 61_000;
    const stale = (await call(port, 'GET', '/api/v1/alerts')).body.alerts!;
    assert.deepEqual(
      stale.map((a) => a.state),
      ['no-data', 'no-data'],
    );
    assert.equal(hook.deliveries.length, 2);
    assert.deepEqual(hook.accepted.length, 2);
  } finally {
    await running?.stop();
    await hook.close();
    await target.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('an invalid rules file refuses to start the component, naming the rule and the field', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-alerting-rules-'));
  try {
    const rulesFile = path.join(dir, 'rules.yaml');
    await writeFile(rulesFile, QUEUE_RULES.replace('threshold: 100', 'threshold: lots'));
    const resolved = alertingTopology(dir, '127.0.0.1:1', 'metrics', { rulesFile });
    await assert.rejects(
      startComponent(resolved, 'alerts', { logger: pino({ level: 'silent' }) }),
      (error: Error) =>
        error.message ===
        `invalid rules file ${rulesFile}:\n  rule 'DeepQueue' (rules[0]), field 'threshold': Invalid input: expected number, received string`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
