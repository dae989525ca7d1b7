import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GapDetector } from '../../../src/sdk/telemetry/gaps.ts';
import { prng } from '../../helpers/prng.ts';

test('in order, gaps, late arrivals and duplicates, per (producer, stream)', () => {
  const d = new GapDetector();
  assert.deepEqual(d.observe('p1', 'events', 0), { status: 'in-order' });
  assert.deepEqual(d.observe('p1', 'events', 1), { status: 'in-order' });
  assert.deepEqual(d.observe('p1', 'events', 5), { status: 'gap', missing: 3 });
  assert.deepEqual(d.observe('p1', 'events', 3), { status: 'late' });
  assert.deepEqual(d.observe('p1', 'events', 3), { status: 'duplicate' });
  assert.deepEqual(d.observe('p1', 'events', 1), { status: 'duplicate' });
  assert.deepEqual(d.observe('p1', 'events', 5), { status: 'duplicate' });
  assert.deepEqual(d.observe('p1', 'logs', 0), { status: 'in-order' }, 'streams count separately');
  assert.deepEqual(
    d.observe('p2', 'events', 2),
    { status: 'gap', missing: 2 },
    'a producer first seen mid-way',
  );
  const report = d.report();
  assert.deepEqual(report[0], {
    producer: 'p1',
    stream: 'events',
    next: 6,
    received: 4,
    duplicates: 3,
    missing: [
      [2, 2],
      [4, 4],
    ],
    missingCount: 2,
  });
  assert.equal(d.missingCount, 4);
  assert.throws(() => d.observe('p1', 'events', -1), TypeError);
  assert.throws(() => d.observe('p1', 'events', 1.5), TypeError);
});

test('a shuffled, partly lost, partly duplicated sequence: the report equals what was withheld', () => {
  const rng = prng(42);
  const random = () => rng.next();
  const total = 20_000;
  const lost = new Set<number>();
  const delivered: number[] = [];
  let duplicated = 0;
  for (let seq = 0; seq < total; seq++) {
    if (random() < 0.05) {
      lost.add(seq);
      continue;
    }
    delivered.push(seq);
    if (random() < 0.02) {
      delivered.push(seq);
      duplicated++;
    }
  }
  // records of one producer reach a consumer through several partitions: reorder within windows of 50
  for (let i = 0; i < delivered.length; i += 50) {
    const window = delivered.slice(i, i + 50);
    for (let j = window.length - 1; j > 0; j--) {
      const k = Math.floor(random() * (j + 1));
      [window[j], window[k]] = [window[k], window[j]];
    }
    delivered.splice(i, window.length, ...window);
  }
  const d = new GapDetector();
  for (const seq of delivered) d.observe('p', 's', seq);
  const [report] = d.report();
  // a trailing loss is not a gap yet: nothing after it has arrived
  let expectedMissing = 0;
  for (const seq of lost) if (seq < report.next) expectedMissing++;
  assert.equal(report.missingCount, expectedMissing);
  assert.equal(report.duplicates, duplicated);
  assert.equal(report.received, total - lost.size);
  for (const [from, to] of report.missing)
    for (let s = from; s <= to; s++) assert.ok(lost.has(s), `${s} reported missing`);
});
