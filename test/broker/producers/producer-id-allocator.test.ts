// Producer ids are never handed out twice across restarts: blocks reserved on disk before use, a damaged
// reservation file refused by name, a failed reservation retried by the next call.
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { FaultFs } from '../../../src/broker/log/fault-fs.ts';
import { NodeLogFs } from '../../../src/broker/log/index.ts';
import {
  PRODUCER_IDS_FILE,
  PRODUCER_ID_BLOCK_SIZE,
  ProducerIdAllocator,
} from '../../../src/broker/producers/producer-id-allocator.ts';
import { tempDir } from '../../helpers/broker.ts';

async function dir(t: TestContext): Promise<string> {
  const d = await tempDir('sluice-pids-');
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

test('ids count up from 0; a reopened allocator continues past the whole reserved block', async (t) => {
  const d = await dir(t);
  const fs = new NodeLogFs();
  const first = await ProducerIdAllocator.open(fs, d);
  assert.deepEqual(await Promise.all([first.allocate(), first.allocate(), first.allocate()]), [0n, 1n, 2n]);
  assert.deepEqual(JSON.parse(await readFile(join(d, PRODUCER_IDS_FILE), 'utf8')), {
    formatVersion: 1,
    nextBlockStart: String(PRODUCER_ID_BLOCK_SIZE),
  });
  // A restart (clean or not) never reuses 3..999: they may have been handed out before a crash.
  const second = await ProducerIdAllocator.open(fs, d);
  assert.equal(await second.allocate(), PRODUCER_ID_BLOCK_SIZE);
});

test('a block is reserved once per 1000 ids, concurrent calls included', async (t) => {
  const d = await dir(t);
  const fs = new FaultFs();
  const ids = await ProducerIdAllocator.open(fs, d);
  const all = await Promise.all(Array.from({ length: 1001 }, () => ids.allocate()));
  assert.deepEqual(
    all,
    Array.from({ length: 1001 }, (_, i) => BigInt(i)),
  );
  assert.equal(fs.count('rename', `${PRODUCER_IDS_FILE}.tmp`), 2);
});

test('ids start above the largest id found in the logs (the floor) when that is higher', async (t) => {
  const d = await dir(t);
  const ids = await ProducerIdAllocator.open(new NodeLogFs(), d, 5000n);
  assert.equal(await ids.allocate(), 5000n);
});

test('a damaged reservation file fails startup naming the file', async (t) => {
  const d = await dir(t);
  const path = join(d, PRODUCER_IDS_FILE);
  await writeFile(path, '{"formatVersion":1,"nextBlockStart":"-5"}');
  await assert.rejects(ProducerIdAllocator.open(new NodeLogFs(), d), (err: Error) => {
    assert.match(
      err.message,
      new RegExp(`${PRODUCER_IDS_FILE} is damaged \\(nextBlockStart: .*refusing to start`),
    );
    return true;
  });
  await writeFile(path, 'not json');
  await assert.rejects(
    ProducerIdAllocator.open(new NodeLogFs(), d),
    /producer-ids\.json cannot be read: .*JSON/,
  );
});

test('a failed reservation rejects that call and is retried by the next; no id is handed out unreserved', async (t) => {
  const d = await dir(t);
  const fs = new FaultFs();
  const ids = await ProducerIdAllocator.open(fs, d);
  fs.inject({ op: 'sync', path: /producer-ids\.json\.tmp$/ });
  await assert.rejects(ids.allocate(), /EIO/);
  assert.equal(await ids.allocate(), 0n);
  const reopened = await ProducerIdAllocator.open(new NodeLogFs(), d);
  assert.equal(await reopened.allocate(), PRODUCER_ID_BLOCK_SIZE);
});
