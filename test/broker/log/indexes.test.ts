// Offset and time index: lookups, monotonicity, file round trips and the checks on load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OffsetIndex } from '../../../src/broker/log/offset-index.ts';
import { TimeIndex } from '../../../src/broker/log/time-index.ts';
import { partitionDirName } from '../../../src/broker/log/paths.ts';
import { parseSegmentFileName, segmentFileName } from '../../../src/broker/log/segment.ts';

test('offset index: lookup finds the last entry at or below, rises strictly, round-trips', () => {
  const index = new OffsetIndex(1);
  assert.deepEqual(index.lookup(5), { relativeOffset: 0, position: 0 });
  for (let i = 1; i <= 100; i++) index.append(i * 10, i * 4096);
  assert.deepEqual(index.lookup(9), { relativeOffset: 0, position: 0 });
  assert.deepEqual(index.lookup(10), { relativeOffset: 10, position: 4096 });
  assert.deepEqual(index.lookup(555), { relativeOffset: 550, position: 55 * 4096 });
  assert.deepEqual(index.lookup(1e9), { relativeOffset: 1000, position: 100 * 4096 });
  assert.throws(() => index.append(1000, 1e6), RangeError);
  const bytes = index.toBytes();
  assert.equal(bytes.length, 800);
  assert.equal(bytes.readInt32BE(8), 20);
  const back = OffsetIndex.fromBytes(bytes, 101 * 4096);
  assert.ok(back instanceof OffsetIndex);
  assert.deepEqual(back.lookup(555), index.lookup(555));
  assert.equal(typeof OffsetIndex.fromBytes(bytes.subarray(0, 7), 1e9), 'string');
  assert.equal(typeof OffsetIndex.fromBytes(bytes, 4096), 'string', 'positions past the segment');
  const swapped = Buffer.from(bytes);
  swapped.writeInt32BE(999, 0);
  assert.equal(typeof OffsetIndex.fromBytes(swapped, 1e9), 'string');
});

test('time index: monotonic entries, lookup gives where a scan may start, closing entry', () => {
  const index = new TimeIndex(1);
  assert.equal(index.lookup(100n), 0);
  assert.equal(index.maybeAppend(100n, 5), true);
  assert.equal(index.maybeAppend(100n, 9), false, 'timestamp must grow');
  assert.equal(index.maybeAppend(200n, 5), false, 'offset must grow');
  assert.equal(index.maybeAppend(300n, 12), true);
  assert.equal(index.lookup(100n), 0, 'batches before 5 may hold 100');
  assert.equal(index.lookup(101n), 5);
  assert.equal(index.lookup(301n), 12);
  index.appendFinal(250n, 20);
  assert.deepEqual(index.last, { timestamp: 300n, relativeOffset: 20 }, 'closing entry stays monotonic');
  const back = TimeIndex.fromBytes(index.toBytes(), 20);
  assert.ok(back instanceof TimeIndex);
  assert.equal(back.lookup(301n), 20);
  assert.equal(TimeIndex.fromBytes(index.toBytes(), 21), 'closing entry missing');
  assert.equal(TimeIndex.fromBytes(index.toBytes().subarray(0, 12), 20), 'closing entry missing');
});

test('file and directory names', () => {
  assert.equal(segmentFileName(42n, '.log'), '00000000000000000042.log');
  assert.deepEqual(parseSegmentFileName('00000000000000000042.timeindex'), {
    baseOffset: 42n,
    suffix: '.timeindex',
  });
  assert.equal(parseSegmentFileName('42.log'), undefined);
  assert.equal(parseSegmentFileName('00000000000000000042.log.tmp'), undefined);
  assert.equal(partitionDirName('metrics.cpu', 3), 'metrics.cpu-3');
  assert.throws(() => partitionDirName('../x', 0), RangeError);
  assert.throws(() => partitionDirName('a', -1), RangeError);
});
