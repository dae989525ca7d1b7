// docs/analytics.md runs: its configuration block is the component's settings, its example points are
// published, and every `curl` example's response must be the JSON block that follows it in the doc.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { test } from 'node:test';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import type { MetricPoint } from '../../../src/sdk/index.ts';
import type { ComponentStatus } from '../../../src/services/runtime.ts';
import { startComponent } from '../../../src/services/start-component.ts';
import { startTestBroker, tempDir } from '../../helpers/broker.ts';
import { createTopicOn } from '../../helpers/target.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { analyticsTopology, metricRecord, produce } from './harness.ts';

const DOC = new URL('../../../docs/analytics.md', import.meta.url);

interface Block {
  lang: string;
  body: string;
}

function blocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], body: m[2] }));
}

test('the examples of docs/analytics.md answer as documented', async (t) => {
  const doc = blocks(await readFile(DOC, 'utf8'));
  const config = doc.find((b) => b.lang === 'yaml' && b.body.includes('kind: analytics'));
  assert.ok(config, 'the doc has a yaml block configuring an analytics component');
  const { components } = parseYaml(config.body) as { components: Record<string, Record<string, unknown>> };
  const [[name, settings]] = Object.entries(components);
  const points = doc
    .find((b) => b.lang === 'jsonl')!
    .body.trim()
    .split('\n')
    .map((line) => JSON.parse(line) as MetricPoint);
  const examples: { url: string; expected: unknown }[] = [];
  doc.forEach((b, i) => {
    const curl = /^curl -s '([^']+)'$/m.exec(b.body);
    if (b.lang !== 'sh' || curl === null) return;
    assert.equal(doc[i + 1]?.lang, 'json', `the example ${curl[1]} is followed by its response`);
    examples.push({ url: curl[1], expected: JSON.parse(doc[i + 1].body) });
  });
  assert.ok(examples.length >= 6, `${examples.length} examples found`);

  const broker = await startTestBroker(t);
  const dir = await tempDir('sluice-analytics-docs-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  await createTopicOn(broker.bootstrap, 'metrics', 3);
  await produce(broker.bootstrap, 'metrics', points.map(metricRecord));
  // The documented settings, on a free port, with a retention that keeps the example's 2025 windows.
  const resolved = analyticsTopology(dir, broker.bootstrap, 'metrics', {
    [name]: { ...settings, httpPort: 0, retention: { '10s': '3650d', '1m': '3650d', '1h': '3650d' } },
  });
  const running = await startComponent(resolved, name, { logger: pino({ level: 'silent' }) });
  t.after(() => running.stop());
  await waitFor(
    async () => {
      const res = await fetch(`http://127.0.0.1:${running.httpPort}/status`);
      const { details } = (await res.json()) as ComponentStatus;
      return (
        (details.streams as Record<string, Record<string, number>>).metrics['rolled-up'] === points.length
      );
    },
    { what: 'the example points to be rolled up' },
  );

  for (const { url, expected } of examples) {
    const documented = new URL(url);
    const res = await fetch(`http://127.0.0.1:${running.httpPort}${documented.pathname}${documented.search}`);
    const body: unknown = await res.json();
    assert.equal(res.status, 'error' in (expected as object) ? 400 : 200, url);
    assert.deepEqual(body, expected, `${url} answers\n${JSON.stringify(body, null, 2)}`);
  }
});
