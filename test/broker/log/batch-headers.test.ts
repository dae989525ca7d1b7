// PartitionLog.activeSegmentBatchHeaders: the producer fields of every batch of the active segment only,
// oldest first, with the broker's append time for LogAppendTime batches, after a reopen as well.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeLogFs, PartitionLog } from '../../../src/broker/log/index.ts';
import type { StoredBatchHeader } from '../../../src/broker/log/index.ts';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';
import { partitionDir, tempDir } from './helpers.ts';

function idem(producerId: bigint, baseSequence: number, count: number, pad = 0): Buffer {
  return buildRecordBatch({
    producerId,
    producerEpoch: 3,
    baseSequence,
    records: Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`v${i}${'p'.repeat(pad)}`) })),
  });
}

async function headersOf(log: PartitionLog): Promise<{ base: bigint; headers: StoredBatchHeader[] }> {
  const { segmentBaseOffset, headers } = log.activeSegmentBatchHeaders();
  const all: StoredBatchHeader[] = [];
  for await (const h of headers) all.push(h);
  return { base: segmentBaseOffset, headers: all };
}

test('the active segment batch headers carry producer id, epoch, sequences and offsets', async (t) => {
  const dir = partitionDir(await tempDir(t));
  const log = await PartitionLog.open(new NodeLogFs(), dir, { segmentBytes: 1024 });
  t.after(() => log.close());
  await log.append(idem(5n, 0, 2, 700)); // fills most of segment 0
  await log.append(idem(5n, 2, 3)); // rolls: segment 2
  await log.append(buildRecordBatch({ records: [{ value: Buffer.from('plain') }] }));
  const appended = await log.append(idem(6n, 10, 1), { logAppendTime: true });
  const { base, headers } = await headersOf(log);
  assert.equal(base, 2n);
  assert.deepEqual(
    headers.map((h) => [
      h.baseOffset,
      h.lastOffset,
      h.producerId,
      h.producerEpoch,
      h.baseSequence,
      h.lastOffsetDelta,
    ]),
    [
      [2n, 4n, 5n, 3, 2, 2],
      [5n, 5n, -1n, -1, -1, 0],
      [6n, 6n, 6n, 3, 10, 0],
    ],
  );
  assert.deepEqual(
    headers.map((h) => h.logAppendTime),
    [-1n, -1n, appended.logAppendTime],
  );
  assert.ok(appended.logAppendTime > 0n);

  await log.close();
  const reopened = await PartitionLog.open(new NodeLogFs(), dir, { segmentBytes: 1024 });
  t.after(() => reopened.close());
  assert.deepEqual((await headersOf(reopened)).headers, headers);
});

test('an empty active segment has no headers; its base is the log end', async (t) => {
  const log = await PartitionLog.open(new NodeLogFs(), partitionDir(await tempDir(t)));
  t.after(() => log.close());
  assert.deepEqual(await headersOf(log), { base: 0n, headers: [] });
});
