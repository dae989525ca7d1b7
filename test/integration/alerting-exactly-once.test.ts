// The alerting service's notification contract across crashes: a child process SIGKILLed between
// evaluating and committing, and between a webhook's acceptance and marking it sent, is restarted until it
// has worked through the input; a real webhook receiver that dedupes by idempotency key ends up with exactly
// the notifications of an uninterrupted run, each once, and sees the resent ones under their old key.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { startTarget, uniqueTopic } from '../helpers/target.ts';
import { waitFor } from '../helpers/wait-for.ts';
import {
  alertingTopology,
  gaugeAt,
  publish,
  QUEUE_RULES,
  startWebhookReceiver,
} from '../services/alerting/fixtures.ts';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
/** The fault of each run, in order; the run after the last has none. */
const FAULTS = ['kill-before-commit:1', 'kill-after-send:1', 'kill-before-commit:1', 'kill-after-send:2'];

interface Run {
  child: ChildProcess;
  port: Promise<number>;
  exited: Promise<NodeJS.Signals | number | null>;
  output: string[];
}

function runChild(topologyFile: string, fault: string | undefined): Run {
  const env = { ...process.env };
  if (fault === undefined) delete env.SLUICE_ALERTING_FAULT;
  else env.SLUICE_ALERTING_FAULT = fault;
  const child = spawn(process.execPath, [CLI, 'service', 'alerts', '--topology', topologyFile], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const port = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      const m = /^sluice service alerts listening on http:\/\/127\.0\.0\.1:(\d+)\/$/.exec(line);
      if (m) resolve(Number(m[1]));
    });
    void exited.then(() => reject(new Error('exited before ready')));
  });
  port.catch(() => {});
  return { child, port, exited, output };
}

test('alerting SIGKILLed between evaluating and committing, and between sending and marking: each notification exactly once per key', async () => {
  const target = await startTarget();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-alerting-crash-'));
  const hook = await startWebhookReceiver();
  let run: Run | undefined;
  try {
    // One partition: the order of evaluation (and so the notifications) is the same in every run.
    const topic = uniqueTopic('metrics');
    await target.createTopic(topic, 1);
    await target.createTopic(`${topic}.dlq`, 1);
    const rulesFile = path.join(dir, 'rules.yaml');
    await writeFile(rulesFile, QUEUE_RULES);
    const topologyFile = path.join(dir, 'topology.json');
    await writeFile(
      topologyFile,
      JSON.stringify(alertingTopology(dir, target.bootstrap, topic, { rulesFile, webhooks: [hook.url] })),
    );
    // web: high 0-40 s, low 50-60 s, high again from 70 s; api: high 20-60 s. For 10 s, one-point windows.
    const base = Math.floor(Date.now() / 10_000) * 10_000 - 300_000;
    const points: ReturnType<typeof gaugeAt>[] = [];
    for (let s = 0; s <= 110; s += 10) {
      points.push(gaugeAt('queue.depth', base + s * 1000, s <= 40 || s >= 70 ? 150 : 50, 'web'));
      points.push(gaugeAt('queue.depth', base + s * 1000, s >= 20 && s <= 60 ? 150 : 50, 'api'));
    }
    // Points up to 50 s first (firings of web at 10 s and api at 30 s), the rest after the second kill, so
    // every fault finds notifications to act on. Several produce calls: several batches and transactions.
    const publishPoints = async (from: number, to: number) => {
      for (let i = from; i < to; i += 4)
        await publish(target.bootstrap, topic, points.slice(i, Math.min(i + 4, to)));
    };
    const half = points.findIndex((p) => p.ts > base + 50_000);
    await publishPoints(0, half);
    const expected = [
      'api firing +30s',
      'api resolved +70s',
      'web firing +10s',
      'web firing +80s',
      'web resolved +50s',
    ];
    const summary = (deliveries: typeof hook.accepted) =>
      deliveries
        .flatMap((d) =>
          d.notification.alerts.map(
            (a) =>
              `${a.labels.service} ${a.status} +${(Date.parse(a.status === 'firing' ? a.startsAt : a.endsAt) - base) / 1000}s`,
          ),
        )
        .sort();

    const kills: string[] = [];
    for (let i = 0; ; i++) {
      const fault = FAULTS[i];
      run = runChild(topologyFile, fault);
      const current = run;
      const outcome = await waitFor(
        async () => {
          const exit = await Promise.race([current.exited, Promise.resolve('running' as const)]);
          if (exit !== 'running') return { exit };
          const port = await Promise.race([current.port, Promise.resolve(0)]);
          if (port === 0 || hook.accepted.length < expected.length) return undefined;
          const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {
            details: { unsentNotifications: number };
          };
          return status.details.unsentNotifications === 0 && { exit: 'done' as const };
        },
        {
          what: `run ${i + 1} (${fault ?? 'no fault'}) to crash or finish`,
          deadlineMs: 120_000,
          everyMs: 100,
        },
      );
      if (outcome.exit === 'done') break;
      assert.equal(
        outcome.exit,
        'SIGKILL',
        `run ${i + 1} ended with ${String(outcome.exit)}: ${current.output.join('\n')}`,
      );
      kills.push(fault);
      assert.ok(i < FAULTS.length, 'the run without a fault does not crash');
      if (kills.length === 2) await publishPoints(half, points.length);
    }
    // Each run with a fault finds something to crash on: the first dies before committing its first
    // notification, the second after its first send, the third before committing the second half's, the
    // fourth after its second send; the fifth finishes.
    assert.deepEqual(kills, FAULTS);
    assert.deepEqual(summary(hook.accepted), expected);
    // Each key names one notification: every delivery under a key carries the same notification.
    for (const d of hook.deliveries) {
      assert.deepEqual(d.notification, hook.accepted.find((a) => a.key === d.key)!.notification);
    }
    // The notification sent but not marked before the second kill was delivered again, under the same key.
    assert.ok(hook.deliveries.length > hook.accepted.length, `${hook.deliveries.length} deliveries`);
    process.stdout.write(
      `# runs: ${kills.length + 1}, kills: ${kills.join(', ')}; deliveries ${hook.deliveries.length}, unique ${hook.accepted.length}\n`,
    );
  } finally {
    if (run && run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGTERM');
      await run.exited;
    }
    await hook.close();
    await target.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
