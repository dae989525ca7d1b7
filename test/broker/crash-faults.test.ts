// What a machine crash or a bad disk leaves behind, with the broker in-process on the fault-injecting fs
// (src/broker/log/fault-fs.ts) and on real files: a torn tail is cut off on restart and everything before
// it is served; a clean close syncs what durability `none` acknowledged; a corrupt batch in a closed
// segment stops that partition at the bad batch (KAFKA_STORAGE_ERROR past it) and nothing else.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { startBroker, type BrokerHandle, type StartBrokerOptions } from '../../src/broker/broker.ts';
import { FaultFs } from '../../src/broker/log/fault-fs.ts';
import { ApiVersionsApi, ProduceApi } from '../../src/protocol/messages/index.ts';
import { RECORD_BATCH_OVERHEAD, batchSizeAt } from '../../src/protocol/record-batch.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import { tempDir } from '../helpers/broker.ts';
import { RawClient } from '../helpers/raw-client.ts';
import {
  batchOf,
  fetchAll,
  fetchOnce,
  produce,
  produceRequest,
  recordsOf,
  PRODUCE_VERSION,
} from '../helpers/records-io.ts';
import { waitFor } from '../helpers/wait-for.ts';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** Starts a broker whose log lines are kept for the test to read; closed when the test ends. */
async function start(
  t: TestContext,
  options: StartBrokerOptions & { dataDir: string },
): Promise<{ broker: BrokerHandle; lines: LogLine[]; client: RawClient }> {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  const broker = await startBroker({ port: 0, durability: 'fsync', logger, ...options });
  t.after(() => broker.close());
  const client = await RawClient.connect(broker.port);
  t.after(() => client.close());
  return { broker, lines, client };
}

async function dataDir(t: TestContext): Promise<string> {
  const dir = await tempDir('sluice-faults-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const values = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

test('a torn tail (crash mid-write, fsync mode) is truncated on restart; everything acknowledged is served', async (t) => {
  const dir = await dataDir(t);
  const faultFs = new FaultFs();
  const first = await start(t, { dataDir: dir, fs: faultFs });
  await first.broker.context.topics.create('torn', 1, {});
  for (const v of values(10, 'acked'))
    assert.equal((await produce(first.client, 'torn', 0, [v])).errorCode, 0);

  // The next batch is written but its fsync is held, so it is never acknowledged; then the power goes,
  // keeping half of the unsynced bytes: a torn batch at the end of the segment.
  const segmentFile = /torn-0\/\d{20}\.log$/;
  const release = faultFs.hold('sync', segmentFile);
  const writesBefore = faultFs.count('write', segmentFile);
  const id = first.client.send(
    ProduceApi,
    PRODUCE_VERSION,
    produceRequest('torn', 0, batchOf(['never acknowledged'.repeat(8)])),
  );
  await waitFor(() => faultFs.count('write', segmentFile) > writesBefore, { what: 'the unsynced write' });
  await faultFs.crash({ keepUnsyncedBytes: (path, n) => (segmentFile.test(path) ? Math.floor(n / 2) : 0) });
  release();
  const answer = await first.client.receive(ProduceApi, PRODUCE_VERSION, id);
  assert.equal(answer.responses[0].partitionResponses[0].errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  await first.broker.close();

  const second = await start(t, { dataDir: dir });
  const truncated = second.lines.find((l) => l.msg === 'truncated torn or corrupt log tail');
  assert.ok(truncated, 'recovery says what it cut off');
  assert.equal(String(truncated.droppedFromOffset), '10');
  assert.ok(Number(truncated.droppedBytes) > 0, 'part of the unacknowledged batch had reached the file');
  const contents = await fetchAll(second.client, 'torn', 0);
  assert.equal(contents.highWatermark, 10n);
  assert.deepEqual(
    contents.records.map((r) => r.value?.toString()),
    values(10, 'acked'),
  );
  // The log goes on from where the acknowledged data ended.
  assert.deepEqual(await produce(second.client, 'torn', 0, ['after restart']), {
    errorCode: 0,
    baseOffset: 10n,
  });
});

test('a clean close syncs what durability none acknowledged: a crash right after loses nothing', async (t) => {
  const dir = await dataDir(t);
  const faultFs = new FaultFs();
  const first = await start(t, { dataDir: dir, fs: faultFs, durability: 'none' });
  await first.broker.context.topics.create('closed-cleanly', 2, {});
  for (const [i, v] of values(20, 'unsynced-ack').entries()) {
    assert.equal((await produce(first.client, 'closed-cleanly', i % 2, [v])).errorCode, 0);
  }
  await first.broker.close();
  await faultFs.crash();

  const second = await start(t, { dataDir: dir });
  for (const p of [0, 1]) {
    const contents = await fetchAll(second.client, 'closed-cleanly', p);
    assert.deepEqual(
      contents.records.map((r) => r.value?.toString()),
      values(20, 'unsynced-ack').filter((_, i) => i % 2 === p),
    );
  }
});

/** Byte positions of the batches in a segment file. */
function batchPositions(segment: Buffer): number[] {
  const positions: number[] = [];
  for (let at = 0; at < segment.length; at += batchSizeAt(segment, at)) positions.push(at);
  return positions;
}

test('a corrupt batch inside a closed segment: KAFKA_STORAGE_ERROR from it on, the rest keeps serving', async (t) => {
  const dir = await dataDir(t);
  const first = await start(t, { dataDir: dir });
  // Small segments: the first few batches fill a segment that is closed long before the end.
  await first.broker.context.topics.create('damaged', 2, { 'segment.bytes': '1024' });
  await first.broker.context.topics.create('bystander', 1, {});
  const filler = (i: number): string => `batch-${i}-${'.'.repeat(200)}`;
  for (let i = 0; i < 12; i++) {
    assert.equal((await produce(first.client, 'damaged', 0, [filler(i)])).errorCode, 0);
    assert.equal((await produce(first.client, 'damaged', 1, [filler(i)])).errorCode, 0);
  }
  assert.equal((await produce(first.client, 'bystander', 0, ['fine'])).errorCode, 0);
  assert.ok(first.broker.context.topics.partition('damaged', 0)!.log.segmentCount >= 3);
  await first.broker.close();

  // Flip one bit in the value of the second batch of the first (closed) segment: its CRC no longer matches.
  const segmentPath = join(dir, 'damaged-0', '00000000000000000000.log');
  const segment = await readFile(segmentPath);
  const positions = batchPositions(segment);
  assert.ok(positions.length >= 3, 'the first segment holds several batches');
  segment[positions[1] + RECORD_BATCH_OVERHEAD + 20] ^= 0x10;
  await writeFile(segmentPath, segment);

  const second = await start(t, { dataDir: dir });
  const { client } = second;
  // Offsets before the bad batch are served (here: batch 0 alone, since the read stops at the bad one).
  const head = await fetchOnce(client, 'damaged', 0, 0n);
  assert.equal(head.errorCode, 0);
  assert.deepEqual(
    recordsOf(head.records).map((r) => r.value?.toString()),
    [filler(0)],
  );
  // At the bad batch and anywhere past it, even in a later, intact segment: a storage error.
  for (const offset of [1n, 2n, 11n]) {
    const p = await fetchOnce(client, 'damaged', 0, offset);
    assert.equal(p.errorCode, ErrorCode.KAFKA_STORAGE_ERROR, `fetch at ${offset}`);
    assert.equal(p.records?.length ?? 0, 0);
  }
  assert.ok(
    second.lines.some((l) => l.level >= 50 && /corrupt partition log/.test(l.msg)),
    'the corruption is reported in the log',
  );
  // Earlier offsets, the other partition, other topics and the broker itself carry on.
  assert.equal((await fetchOnce(client, 'damaged', 0, 0n)).errorCode, 0);
  assert.deepEqual(
    (await fetchAll(client, 'damaged', 1)).records.map((r) => r.value?.toString()),
    Array.from({ length: 12 }, (_, i) => filler(i)),
  );
  assert.deepEqual(
    (await fetchAll(client, 'bystander', 0)).records.map((r) => r.value?.toString()),
    ['fine'],
  );
  assert.deepEqual(await produce(client, 'bystander', 0, ['still taking writes']), {
    errorCode: 0,
    baseOffset: 1n,
  });
  const other = await RawClient.connect(second.broker.port);
  t.after(() => other.close());
  assert.equal(
    (await other.request(ApiVersionsApi, 3, { clientSoftwareName: 't', clientSoftwareVersion: '0' }))
      .errorCode,
    0,
  );
});
