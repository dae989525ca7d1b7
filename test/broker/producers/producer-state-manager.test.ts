// The idempotence rules (reference §4.11) on the state manager alone: first batches, continuity, the
// 5-deep window of retries, epochs, sequence wrap, appends in flight and failed, expiry and replay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import {
  ProducerStateManager,
  partitionKey,
  type Admission,
  type ProducerBatch,
} from '../../../src/broker/producers/producer-state-manager.ts';
import { addSequence } from '../../../src/broker/producers/producer-window.ts';

const P = partitionKey('6f1c3f4e-0000-4000-8000-000000000001', 0);
const MAX = 2 ** 31 - 1;

function batch(firstSeq: number, records = 1, epoch = 0, producerId = 7n): ProducerBatch {
  return { producerId, producerEpoch: epoch, baseSequence: firstSeq, lastOffsetDelta: records - 1 };
}

function manager(clock = () => 1_000): ProducerStateManager {
  return new ProducerStateManager({ expirationMs: 60_000, clock });
}

/** Admits and, when it is new, completes the append at `offset`. */
function appendAt(m: ProducerStateManager, b: ProducerBatch, offset: bigint, key = P): Admission {
  const a = m.admit(key, b);
  if (a.kind === 'append') a.appended({ baseOffset: offset, logAppendTime: -1n });
  return a;
}

function rejected(a: Admission): number | undefined {
  return a.kind === 'reject' ? a.errorCode : undefined;
}

async function originalOffset(a: Admission): Promise<bigint> {
  assert.equal(a.kind, 'duplicate');
  return (await a.original).baseOffset;
}

test('a batch without a producer id is plain: nothing remembered', () => {
  const m = manager();
  assert.equal(m.admit(P, batch(0, 1, 0, -1n)).kind, 'plain');
  assert.equal(m.admit(P, batch(0, 1, 0, -1n)).kind, 'plain');
  assert.equal(m.size, 0);
});

test('a producer id with a negative epoch or sequence is INVALID_RECORD', () => {
  const m = manager();
  assert.equal(rejected(m.admit(P, batch(-1))), ErrorCode.INVALID_RECORD);
  assert.equal(rejected(m.admit(P, batch(0, 1, -1))), ErrorCode.INVALID_RECORD);
});

test('the first batch of an unknown producer is accepted at any sequence', () => {
  const m = manager();
  assert.equal(appendAt(m, batch(500, 3), 0n).kind, 'append');
  assert.equal(m.window(P, 7n)!.lastSeq, 502);
  assert.equal(appendAt(m, batch(503), 3n).kind, 'append');
});

test('in-sequence batches are accepted; the last sequence advances at admission, before the append ends', () => {
  const m = manager();
  // Five pipelined batches, none appended yet: each is checked against the one before it.
  const admitted = [0, 2, 4, 6, 8].map((seq) => m.admit(P, batch(seq, 2)));
  assert.deepEqual(
    admitted.map((a) => a.kind),
    ['append', 'append', 'append', 'append', 'append'],
  );
  assert.equal(m.window(P, 7n)!.lastSeq, 9);
  assert.equal(m.window(P, 7n)!.hasAppendsInFlight, true);
});

test('a gap, or a sequence from before the window, is OUT_OF_ORDER_SEQUENCE_NUMBER', () => {
  const m = manager();
  appendAt(m, batch(0, 2), 0n);
  assert.equal(rejected(m.admit(P, batch(3))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(rejected(m.admit(P, batch(1))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  // Nothing was recorded by the rejections: the expected sequence is still 2.
  assert.equal(appendAt(m, batch(2), 2n).kind, 'append');
});

test('a retry of the last batch is a duplicate answered with its original offset', async () => {
  const m = manager();
  appendAt(m, batch(0, 3), 40n);
  const retry = m.admit(P, batch(0, 3));
  assert.equal(await originalOffset(retry), 40n);
  assert.equal(appendAt(m, batch(3), 43n).kind, 'append');
});

test('retries of any of the last 5 batches are duplicates; the 6th-last is not remembered', async () => {
  const m = manager();
  for (let i = 0; i < 6; i++) appendAt(m, batch(i * 10, 10), BigInt(100 + i * 10));
  // Remembered: sequences 10..59 (offsets 110..150). Forgotten: 0..9.
  for (let i = 1; i < 6; i++)
    assert.equal(await originalOffset(m.admit(P, batch(i * 10, 10))), BigInt(100 + i * 10));
  assert.equal(rejected(m.admit(P, batch(0, 10))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(m.window(P, 7n)!.batches.length, 5);
});

test('same first sequence but a different last one is not a duplicate: OUT_OF_ORDER', () => {
  const m = manager();
  appendAt(m, batch(0, 3), 0n);
  assert.equal(rejected(m.admit(P, batch(0, 2))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
});

test('epochs: older is INVALID_PRODUCER_EPOCH, newer must restart at 0 and replaces the window', async () => {
  const m = manager();
  appendAt(m, batch(0, 2, 3), 0n);
  assert.equal(rejected(m.admit(P, batch(2, 1, 2))), ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal(rejected(m.admit(P, batch(2, 1, 4))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(appendAt(m, batch(0, 1, 4), 2n).kind, 'append');
  assert.equal(m.window(P, 7n)!.epoch, 4);
  // The old epoch's batches cannot be retried into the new one.
  assert.equal(rejected(m.admit(P, batch(0, 2, 3))), ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal(await originalOffset(m.admit(P, batch(0, 1, 4))), 2n);
  assert.equal(appendAt(m, batch(1, 1, 4), 3n).kind, 'append');
});

test('sequences wrap past INT32_MAX to 0', async () => {
  assert.equal(addSequence(MAX, 1), 0);
  assert.equal(addSequence(MAX - 1, 3), 1);
  assert.equal(addSequence(0, -1), MAX);
  const m = manager();
  appendAt(m, batch(MAX - 1, 3), 0n); // MAX-1, MAX, 0
  assert.equal(m.window(P, 7n)!.lastSeq, 0);
  assert.equal(rejected(m.admit(P, batch(MAX))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(await originalOffset(m.admit(P, batch(MAX - 1, 3))), 0n);
  assert.equal(appendAt(m, batch(1, 1), 3n).kind, 'append');
  const n = manager();
  appendAt(n, batch(MAX, 1), 0n);
  assert.equal(await originalOffset(n.admit(P, batch(MAX))), 0n);
  assert.equal(appendAt(n, batch(0, 1), 1n).kind, 'append');
});

test('a retry of a batch still being appended waits for that append, then gets its offset', async () => {
  const m = manager();
  const first = m.admit(P, batch(0, 2));
  assert.equal(first.kind, 'append');
  const retry = m.admit(P, batch(0, 2));
  assert.equal(retry.kind, 'duplicate');
  let settled = false;
  const answer = retry.original.then((at) => {
    settled = true;
    return at.baseOffset;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false, 'answered before the original append was acknowledged');
  first.appended({ baseOffset: 12n, logAppendTime: 99n });
  assert.equal(await answer, 12n);
});

test('a failed append: its waiting retries fail too, and the window forgets it and what followed', async () => {
  const m = manager();
  appendAt(m, batch(0, 1), 0n);
  const a = m.admit(P, batch(1, 1)) as Extract<Admission, { kind: 'append' }>;
  const b = m.admit(P, batch(2, 1)) as Extract<Admission, { kind: 'append' }>;
  const retryOfA = m.admit(P, batch(1, 1)) as Extract<Admission, { kind: 'duplicate' }>;
  const retryOfB = m.admit(P, batch(2, 1)) as Extract<Admission, { kind: 'duplicate' }>;
  const boom = new Error('disk gone');
  a.failed(boom);
  b.failed(boom); // the log fails every later append too
  await assert.rejects(retryOfA.original, /disk gone/);
  await assert.rejects(retryOfB.original, /disk gone/);
  const w = m.window(P, 7n)!;
  assert.deepEqual(
    w.batches.map((x) => x.firstSeq),
    [0],
  );
  assert.equal(w.lastSeq, 0);
  assert.equal(w.hasAppendsInFlight, false);
  // A retry of the failed batch is checked as new (and its append will fail the same honest way).
  assert.equal(m.admit(P, batch(1, 1)).kind, 'append');
});

test('producers are per partition: the same id on another partition starts afresh', () => {
  const m = manager();
  const other = partitionKey('6f1c3f4e-0000-4000-8000-000000000001', 1);
  appendAt(m, batch(0, 5), 0n);
  assert.equal(appendAt(m, batch(100), 0n, other).kind, 'append');
  assert.equal(rejected(m.admit(other, batch(0, 5))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
});

test('producers idle past the expiration are forgotten; one with an append in flight is kept', () => {
  let now = 1_000;
  const m = new ProducerStateManager({ expirationMs: 10_000, clock: () => now });
  appendAt(m, batch(0, 1, 0, 1n), 0n);
  m.admit(P, batch(0, 1, 0, 2n)); // in flight, never acknowledged
  now += 5_000;
  appendAt(m, batch(0, 1, 0, 3n), 1n);
  now += 6_000; // producer 1 and 2 idle 11 s, producer 3 6 s
  assert.equal(m.expire(), 1);
  assert.equal(m.window(P, 1n), undefined);
  assert.ok(m.window(P, 2n));
  assert.ok(m.window(P, 3n));
  // A forgotten producer is a new one again: any sequence.
  assert.equal(m.admit(P, batch(77, 1, 0, 1n)).kind, 'append');
});

test('replay from the log remembers batches whatever their sequence, but not an older epoch', async () => {
  const m = manager();
  const logged = (seq: number, records: number, epoch: number, offset: bigint) => ({
    ...batch(seq, records, epoch),
    baseOffset: offset,
    logAppendTime: -1n,
  });
  m.replay(P, logged(0, 2, 1, 0n), 1_000);
  m.replay(P, logged(5, 1, 1, 2n), 1_000); // a gap the broker accepted (a forgotten producer)
  m.replay(P, logged(0, 1, 0, 3n), 1_000); // older epoch: ignored
  m.replay(P, { ...logged(0, 1, 0, 4n), producerId: -1n }, 1_000);
  const w = m.window(P, 7n)!;
  assert.equal(w.epoch, 1);
  assert.equal(w.lastSeq, 5);
  assert.equal(await originalOffset(m.admit(P, batch(0, 2, 1))), 0n);
  assert.equal(await originalOffset(m.admit(P, batch(5, 1, 1))), 2n);
  assert.equal(m.admit(P, batch(6, 1, 1)).kind, 'append');
  assert.equal(m.size, 1);
});
