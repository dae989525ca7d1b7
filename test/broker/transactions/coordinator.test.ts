// The transaction coordinator's state machine on a real partition log with a fake clock: transaction
// timeouts (abort, markers, fencing), the decision written before the markers and completed by the next
// open after a crash, and a damaged state file refused by name.
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import type { CommittedOffset } from '../../../src/broker/groups/offset-store.ts';
import { NodeLogFs, PartitionLog } from '../../../src/broker/log/index.ts';
import type { Partition } from '../../../src/broker/topics/topic-manager.ts';
import { TransactionCoordinator } from '../../../src/broker/transactions/coordinator.ts';
import {
  TRANSACTION_STATE_DIR,
  TRANSACTION_STATE_FILE,
  TransactionStateFormatError,
} from '../../../src/broker/transactions/transaction-store.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { readBatchHeader, splitBatches } from '../../../src/protocol/record-batch.ts';
import { tempDir } from '../../helpers/broker.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { FakeClock } from '../groups/fake-clock.ts';
import { batchOf } from '../handlers/data-path.ts';

interface Fixture {
  dataDir: string;
  partition: Partition;
  clock: FakeClock;
  committed: { group: string; entries: { topic: string; partition: number; value: CommittedOffset }[] }[];
  open(): Promise<TransactionCoordinator>;
}

async function fixture(t: TestContext): Promise<Fixture> {
  const dataDir = await tempDir('sluice-txn-coordinator-');
  const fs = new NodeLogFs();
  const log = await PartitionLog.open(fs, join(dataDir, 'events-0'), { durability: { mode: 'none' } });
  const topic = { name: 'events', id: 'topic-id', partitions: [] as Partition[] };
  const partition = { topic, index: 0, log, leaderEpoch: 0 } as unknown as Partition;
  topic.partitions.push(partition);
  const clock = new FakeClock();
  const committed: Fixture['committed'] = [];
  let nextId = 100n;
  const opened: TransactionCoordinator[] = [];
  t.after(async () => {
    for (const c of opened) await c.close();
    await log.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  const open = async () => {
    const coordinator = await TransactionCoordinator.open({
      fs,
      dataDir,
      clock,
      logger: pino({ level: 'silent' }),
      env: {
        partition: (name, index) => (name === 'events' && index === 0 ? partition : undefined),
        partitionById: (id, index) => (id === 'topic-id' && index === 0 ? partition : undefined),
        allocateProducerId: () => Promise.resolve(nextId++),
        commitOffsets: (group, entries) => {
          committed.push({ group, entries });
          return Promise.resolve();
        },
        validateGroupMember: () => ErrorCode.NONE,
      },
    });
    opened.push(coordinator);
    return coordinator;
  };
  return { dataDir, partition, clock, committed, open };
}

function committedSummary(f: Fixture): string[] {
  const lines: string[] = [];
  for (const { group, entries } of f.committed) {
    for (const { topic, partition, value } of entries)
      lines.push(`${group} ${topic}-${partition} ${value.offset} ${String(value.metadata)}`);
  }
  return lines;
}

/** Produces one transactional batch the way Produce does: check, note, append. */
async function produce(c: TransactionCoordinator, partition: Partition, who: Who, sequence: number) {
  const header = { isTransactional: true, producerId: who.producerId, producerEpoch: who.producerEpoch };
  assert.equal(c.requests.checkProduce(who.transactionalId, header, partition), undefined);
  c.requests.noteAppend(who.producerId, partition, partition.log.logEndOffset);
  await partition.log.append(batchOf('txn', 1, { ...header, transactional: true, baseSequence: sequence }));
}

interface Who {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
}

async function begin(c: TransactionCoordinator, transactionalId: string, timeoutMs: number): Promise<Who> {
  const init = await c.requests.initProducerId(transactionalId, timeoutMs, undefined, true);
  assert.equal(init.errorCode, ErrorCode.NONE);
  const who = { transactionalId, producerId: init.producerId, producerEpoch: init.producerEpoch };
  const added = await c.requests.addPartitions(who, [{ name: 'events', partitions: [0] }], true);
  assert.equal(added[0].partitions[0].errorCode, ErrorCode.NONE);
  return who;
}

async function batchKinds(log: PartitionLog): Promise<string[]> {
  const read = await log.read(log.logStartOffset, 1 << 20);
  return [...splitBatches(read.records)].map(({ offset }) => {
    const h = readBatchHeader(read.records, offset);
    return h.isControl ? `marker@${h.baseOffset}/e${h.producerEpoch}` : `data@${h.baseOffset}`;
  });
}

test('a transaction open past its timeout is aborted, its epoch bumped, its producer fenced', async (t) => {
  const f = await fixture(t);
  const c = await f.open();
  const who = await begin(c, 'slow', 10_000);
  await produce(c, f.partition, who, 0);
  assert.equal(c.partitions.firstOpenOffset('topic-id', 0), 0n);

  f.clock.advance(9_999);
  assert.equal(await c.abortExpired(), 0, 'not expired yet');
  assert.equal(c.get('slow')!.status, 'Ongoing');

  // The coordinator's own timer finds it once the timeout has passed.
  f.clock.advance(2_000);
  await waitFor(() => c.get('slow')!.status === 'Empty', { what: 'the timed-out transaction to be aborted' });
  await f.partition.log.flush();
  assert.deepEqual(await batchKinds(f.partition.log), ['data@0', 'marker@1/e1']);
  assert.equal(c.partitions.firstOpenOffset('topic-id', 0), undefined, 'the last stable offset moved on');
  assert.deepEqual(
    c.partitions
      .abortedBetween('topic-id', 0, 0n, 2n)
      .map((a) => [a.producerId, a.firstOffset, a.lastOffset]),
    [[who.producerId, 0n, 1n]],
  );
  // The producer, unaware, tries to commit with its old epoch: fenced (version-gated codes).
  assert.equal(await c.requests.endTxn(who, true, true), ErrorCode.PRODUCER_FENCED);
  assert.equal(await c.requests.endTxn(who, true, false), ErrorCode.INVALID_PRODUCER_EPOCH);
  const refused = c.requests.checkProduce('slow', { isTransactional: true, ...who }, f.partition);
  assert.equal(refused?.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
});

test('EndTxn: markers, staged offsets applied on commit only, a retry of the same end succeeds', async (t) => {
  const f = await fixture(t);
  const c = await f.open();
  const who = await begin(c, 'pipeline', 60_000);
  await produce(c, f.partition, who, 0);
  assert.equal(await c.requests.addOffsets(who, 'group-a', true), ErrorCode.NONE);
  const staged = await c.requests.txnOffsetCommit(who, {
    groupId: 'group-a',
    memberId: '',
    generationId: -1,
    topics: [
      {
        name: 'events',
        partitions: [
          { partitionIndex: 0, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: null },
        ],
      },
    ],
  });
  assert.equal(staged[0].partitions[0].errorCode, ErrorCode.NONE);
  assert.equal(c.hasPendingOffset('group-a', 'events', 0), true);
  assert.equal(await c.requests.endTxn(who, false, true), ErrorCode.NONE);
  assert.deepEqual(f.committed, [], 'an abort applies no offset');
  assert.equal(c.hasPendingOffset('group-a', 'events', 0), false);
  assert.equal(await c.requests.endTxn(who, false, true), ErrorCode.NONE, 'a retried abort');
  assert.equal(await c.requests.endTxn(who, true, true), ErrorCode.INVALID_TXN_STATE, 'commit after abort');

  assert.equal(
    (await c.requests.addPartitions(who, [{ name: 'events', partitions: [0] }], true))[0].partitions[0]
      .errorCode,
    0,
  );
  assert.equal(await c.requests.addOffsets(who, 'group-a', true), ErrorCode.NONE);
  await c.requests.txnOffsetCommit(who, {
    groupId: 'group-a',
    memberId: '',
    generationId: -1,
    topics: [
      {
        name: 'events',
        partitions: [
          { partitionIndex: 0, committedOffset: 9n, committedLeaderEpoch: -1, committedMetadata: 'm' },
        ],
      },
    ],
  });
  assert.equal(await c.requests.endTxn(who, true, true), ErrorCode.NONE);
  assert.deepEqual(committedSummary(f), ['group-a events-0 9 m']);
  await f.partition.log.flush();
  // A partition with no data of the second transaction still gets its marker.
  assert.deepEqual(await batchKinds(f.partition.log), ['data@0', 'marker@1/e0', 'marker@2/e0']);
});

test('after a crash, a decided commit is completed and an open transaction aborted and fenced', async (t) => {
  const f = await fixture(t);
  const first = await f.open();
  const deciding = await begin(first, 'decided', 60_000);
  await produce(first, f.partition, deciding, 0);
  await first.requests.addOffsets(deciding, 'group-a', true);
  await first.requests.txnOffsetCommit(deciding, {
    groupId: 'group-a',
    memberId: '',
    generationId: -1,
    topics: [
      {
        name: 'events',
        partitions: [
          { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null },
        ],
      },
    ],
  });
  const open = await begin(first, 'open', 60_000);
  await produce(first, f.partition, open, 0);
  // The crash: the commit decision is durable, no marker written yet.
  first.get('decided')!.status = 'PrepareCommit';
  await first.persist();
  await first.close();

  const second = await f.open();
  assert.equal(second.get('decided')!.status, 'Empty');
  assert.equal(second.get('decided')!.lastResult, 'commit');
  assert.equal(second.get('open')!.status, 'Empty');
  assert.equal(second.get('open')!.lastResult, 'abort');
  assert.equal(second.get('open')!.producerEpoch, 1, "the open transaction's producer is fenced");
  assert.deepEqual(committedSummary(f), ['group-a events-0 5 null']);
  await f.partition.log.flush();
  assert.deepEqual(await batchKinds(f.partition.log), ['data@0', 'data@1', 'marker@2/e0', 'marker@3/e1']);
  // The aborted one counts from where its partition joined it (its first batch's offset is not stored).
  assert.deepEqual(
    second.partitions.abortedBetween('topic-id', 0, 0n, 4n).map((a) => [a.firstOffset, a.lastOffset]),
    [[1n, 3n]],
  );

  // The aborted-transaction index survives a further restart.
  await second.close();
  const third = await f.open();
  assert.deepEqual(
    third.partitions
      .abortedBetween('topic-id', 0, 0n, 4n)
      .map((a) => [a.producerId, a.firstOffset, a.lastOffset]),
    [[open.producerId, 1n, 3n]],
  );
});

test('a damaged transaction state file stops the open, naming the file', async (t) => {
  const f = await fixture(t);
  const c = await f.open();
  await begin(c, 'any', 60_000);
  await c.close();
  const path = join(f.dataDir, TRANSACTION_STATE_DIR, TRANSACTION_STATE_FILE);
  await writeFile(path, 'sluice-transactions 1 crc32c=00000000\n{"transactions":[],"aborted":[]}\n');
  await assert.rejects(
    f.open(),
    (err: Error) =>
      err instanceof TransactionStateFormatError &&
      err.message.includes(path) &&
      /checksum/.test(err.message),
  );
  await writeFile(path, 'not a header\n{}');
  await assert.rejects(
    f.open(),
    (err: Error) => err instanceof TransactionStateFormatError && err.message.includes('header'),
  );
});
