import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CursorError,
  decodeCursor,
  decodeEventId,
  encodeCursor,
  encodeEventId,
} from '../../../src/services/dashboard/cursor.ts';
import type { Entry } from '../../../src/services/dashboard/entries.ts';
import { Journal } from '../../../src/services/dashboard/journal.ts';

function log(stream: string, partition: number, offset: number, t: number): Entry {
  return {
    kind: 'log',
    stream,
    partition,
    offset,
    t,
    service: 's',
    level: 'info',
    message: `${partition}/${offset}`,
  };
}
const ids = (entries: Entry[] | undefined): string[] =>
  (entries ?? []).map((e) => `${e.stream}/${e.partition}/${e.offset}`);

test('a cursor survives encoding and decoding; nothing seen is "" or "-"', () => {
  const cursor = new Map([
    [
      'metrics',
      new Map([
        [2, 7],
        [0, 41],
      ]),
    ],
    ['logs', new Map([[0, 8]])],
  ]);
  const text = encodeCursor(cursor);
  assert.equal(text, 'logs=0:8;metrics=0:41,2:7');
  assert.deepEqual(decodeCursor(text, 'test'), cursor);
  assert.equal(decodeCursor('', 'test').size, 0);
  assert.equal(decodeCursor('-', 'test').size, 0);
});

test('a bad cursor is refused, naming where it came from and what is wrong', () => {
  const cases: [string, RegExp][] = [
    ['metrics', /Last-Event-ID header: bad part 'metrics'/],
    ['metrics=0:1=2', /bad part 'metrics=0:1=2'/],
    ['Metrics=0:1', /bad stream name 'Metrics'/],
    ['metrics=0:x', /bad partition:offset '0:x' of stream 'metrics'/],
    ['metrics=0:-1', /bad partition:offset '0:-1'/],
    ['metrics=0:1;metrics=1:2', /stream 'metrics' given twice/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => decodeCursor(text, 'Last-Event-ID header'),
      (e: unknown) => {
        assert.ok(e instanceof CursorError);
        assert.match(e.message, message);
        return true;
      },
    );
  }
});

test('the journal keeps each record once, in order, and since() returns exactly what follows a cursor', () => {
  const journal = new Journal({ windowMs: 60_000, maxEntries: 1000, now: () => 100_000 });
  const first = journal.append([
    log('metrics', 0, 0, 99_000),
    log('metrics', 1, 0, 99_000),
    log('metrics', 0, 1, 99_001),
  ]);
  assert.equal(first.length, 3);
  const cursor = journal.cursor();
  // A redelivery (at-least-once after a rebalance) of offsets already seen is dropped.
  const second = journal.append([
    log('metrics', 0, 1, 99_001),
    log('metrics', 0, 2, 99_002),
    log('logs', 0, 5, 99_003),
  ]);
  assert.deepEqual(ids(second), ['metrics/0/2', 'logs/0/5']);
  assert.equal(journal.duplicates, 1);
  assert.deepEqual(ids(journal.since(cursor)), ['metrics/0/2', 'logs/0/5']);
  assert.deepEqual(ids(journal.since(journal.cursor())), []);
  assert.deepEqual(ids(journal.since(new Map())), [
    'metrics/0/0',
    'metrics/1/0',
    'metrics/0/1',
    'metrics/0/2',
    'logs/0/5',
  ]);
});

test('entries older than the window are evicted; a cursor from before them gets undefined (reload)', () => {
  let now = 100_000;
  const journal = new Journal({ windowMs: 10_000, maxEntries: 1000, now: () => now });
  journal.append([log('metrics', 0, 0, 95_000), log('metrics', 0, 1, 99_000)]);
  const early = decodeCursor('', 'test');
  const afterFirst = decodeCursor('metrics=0:0', 'test');
  now = 106_000;
  journal.evict();
  assert.equal(journal.size, 1);
  assert.equal(journal.since(early), undefined);
  assert.deepEqual(ids(journal.since(afterFirst)), ['metrics/0/1']);
  assert.deepEqual(ids(journal.window(0)), ['metrics/0/1']);
});

test('the journal holds at most maxEntries', () => {
  const journal = new Journal({ windowMs: 60_000, maxEntries: 2, now: () => 1000 });
  journal.append([log('logs', 0, 0, 1000), log('logs', 0, 1, 1000), log('logs', 0, 2, 1000)]);
  assert.equal(journal.size, 2);
  assert.deepEqual(ids(journal.window(0)), ['logs/0/1', 'logs/0/2']);
});

test('an event id names the dashboard process that issued it', () => {
  const cursor = decodeCursor('metrics=0:4', 'test');
  const id = encodeEventId('ab12', cursor);
  assert.equal(id, 'ab12@metrics=0:4');
  assert.deepEqual(decodeEventId(id, 'test'), { epoch: 'ab12', cursor });
  assert.deepEqual(decodeEventId('ab12@', 'test'), { epoch: 'ab12', cursor: new Map() });
  assert.deepEqual(decodeEventId('metrics=0:4', 'test'), { epoch: undefined, cursor });
  assert.throws(
    () => decodeEventId('A B@metrics=0:4', "parameter 'from'"),
    /parameter 'from': bad epoch 'A B'/,
  );
});

test("a restarted dashboard serves a previous process's cursor only when it holds everything after it", () => {
  const journal = new Journal({ windowMs: 60_000, maxEntries: 1000, now: () => 100_000 });
  // This process consumed from offset 10 on (the group's committed offset when it started).
  journal.append([log('metrics', 0, 10, 99_000), log('metrics', 0, 11, 99_000)]);
  // The browser saw up to 9 from the previous process: 10 and 11 follow, nothing is missing.
  assert.deepEqual(ids(journal.since(decodeCursor('metrics=0:9', 'test'), true)), [
    'metrics/0/10',
    'metrics/0/11',
  ]);
  assert.deepEqual(ids(journal.since(decodeCursor('metrics=0:10', 'test'), true)), ['metrics/0/11']);
  // It saw up to 7: 8 and 9 are not here. Reload.
  assert.equal(journal.since(decodeCursor('metrics=0:7', 'test'), true), undefined);
  assert.equal(journal.since(new Map(), true), undefined);
});
