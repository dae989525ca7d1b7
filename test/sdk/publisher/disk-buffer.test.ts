// The disk buffer on real files: what a closed (or killed) run left is delivered first, in order, by the
// next run; a segment corrupted between runs is quarantined (moved aside, counted, reported) and the rest
// delivered; drop_oldest on disk drops whole batches, counted exactly.
import assert from 'node:assert/strict';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PublisherOptions } from '../../../src/sdk/publisher/options.ts';
import { FakeBus } from './fakes.ts';
import { batchOf, rec, recover, rig, until, valueOf } from './helpers.ts';
import type { Rig } from './helpers.ts';

const names = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => `v${from + i}`);

function disk(
  dir: string,
  whenFull: 'block' | 'drop_newest' | 'drop_oldest' = 'block',
): Partial<PublisherOptions> {
  return {
    buffer: {
      kind: 'disk',
      dir,
      maxBytes: 100_000,
      whenFull,
      segmentBytes: 1024,
      durability: { mode: 'none' },
    },
  };
}

/** close() under the manual clock: its bounded waits need time to pass. */
async function closeNow(r: Rig): Promise<void> {
  let done = false;
  const closing = r.publisher.close(1000).then(() => (done = true));
  await until(() => {
    r.clock.advance(1000);
    return done;
  }, 'close');
  await closing;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-disk-buffer-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function fillWhileDown(dir: string, n: number): Promise<void> {
  const bus = new FakeBus();
  bus.mode = 'down';
  const r = await rig(disk(dir), bus);
  for (let i = 0; i < n; i++) assert.equal(r.publisher.publish(rec(i)), 'accepted');
  await until(() => r.publisher.state.breaker === 'open', 'open');
  await closeNow(r);
  assert.equal(bus.delivered.length, 0);
}

test('a restarted publisher drains what the last run buffered first, in order, then new records', async () => {
  await withDir(async (dir) => {
    await fillWhileDown(dir, 40);
    const r = await rig(disk(dir));
    assert.equal(r.publisher.state.bufferedRecords, 40, 'recovered from disk');
    for (let i = 40; i < 45; i++) void r.publisher.publish(rec(i));
    await until(() => r.bus.delivered.length === 45, 'everything');
    assert.deepEqual(r.bus.delivered.map(valueOf), names(0, 45));
    assert.ok(
      r.bus.attempts.every((a) => a.length === 1),
      'read back one stored batch per send',
    );
    await closeNow(r);
    const again = await rig(disk(dir));
    assert.equal(again.publisher.state.bufferedRecords, 0, 'sent batches were released');
    await closeNow(again);
  });
});

test('a segment corrupted between runs is quarantined, counted and reported; no crash loop', async () => {
  await withDir(async (dir) => {
    await fillWhileDown(dir, 40);
    const logDir = join(dir, 'log');
    const segments = (await readdir(logDir)).filter((f) => f.endsWith('.log')).sort();
    assert.ok(segments.length >= 4, `several segments (${segments.join(', ')})`);
    const victim = segments[1];
    const victimBase = Number(victim.slice(0, 20));
    const nextBase = Number(segments[2].slice(0, 20));
    const fh = await open(join(logDir, victim), 'r+');
    await fh.write(Buffer.from('XX'), 0, 2, 100); // inside the first batch's records: its CRC fails
    await fh.close();

    const r = await rig(disk(dir));
    await until(() => r.publisher.state.bufferedRecords === 0, 'drained');
    const lost = nextBase - victimBase;
    assert.deepEqual(r.bus.delivered.map(valueOf), [...names(0, victimBase), ...names(nextBase, 40)]);
    assert.deepEqual(r.publisher.state.dropped, { quarantined: lost });
    assert.equal(r.publisher.state.quarantined.length, 1);
    const report = r.publisher.state.quarantined[0];
    assert.equal(report.records, lost);
    assert.ok(report.files.some((f) => f.endsWith(victim)));
    assert.deepEqual(
      (await readdir(report.movedTo)).sort().filter((f) => f.endsWith('.log')),
      [victim],
    );
    const metric = await r.registry.getSingleMetric('sluice_publisher_quarantined_segments_total')!.get();
    assert.equal(metric.values[0].value, 1);
    await closeNow(r);

    const again = await rig(disk(dir));
    assert.equal(again.publisher.state.bufferedRecords, 0);
    assert.deepEqual(again.publisher.state.quarantined, []);
    await closeNow(again);
  });
});

test('disk drop_oldest drops whole stored batches, oldest first, counted by record', async () => {
  await withDir(async (dir) => {
    const bus = new FakeBus();
    bus.mode = 'down';
    const r = await rig(
      {
        maxBatchBytes: batchOf(2),
        buffer: {
          kind: 'disk',
          dir,
          maxBytes: 1000,
          whenFull: 'drop_oldest',
          segmentBytes: 1024,
          durability: { mode: 'none' },
        },
      },
      bus,
    );
    void r.publisher.publish(rec(0));
    void r.publisher.publish(rec(1)); // batch [v0 v1] sealed when full
    await until(() => r.publisher.state.breaker === 'open', 'open');
    for (let i = 2; i < 30; i++) void r.publisher.publish(rec(i));
    const dropped = r.publisher.state.dropped.drop_oldest ?? 0;
    assert.ok(dropped > 0 && dropped % 2 === 0, `whole 2-record batches dropped (${dropped})`);
    await recover(r);
    assert.deepEqual(r.bus.delivered.map(valueOf), names(dropped, 30));
    await closeNow(r);
  });
});
