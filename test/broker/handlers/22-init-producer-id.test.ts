// InitProducerId through a raw socket: v0/v1 (kafkajs), v4 (librdkafka), v5 (platformatic), fresh ids
// that survive restarts, transactional ids (epoch bumps, fencing, bad ids and timeouts), a failed id
// reservation answered retriably.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { FaultFs } from '../../../src/broker/log/fault-fs.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import {
  ApiVersionsApi,
  InitProducerIdApi,
  type InitProducerIdRequest,
} from '../../../src/protocol/messages/index.ts';
import { startTestBroker, tempDir } from '../../helpers/broker.ts';
import { connectClient } from './data-path.ts';

const idempotent: InitProducerIdRequest = {
  transactionalId: null,
  transactionTimeoutMs: 60_000,
  producerId: -1n,
  producerEpoch: -1,
};

test('ApiVersions advertises InitProducerId 0-5 (librdkafka 2.0.2 needs 0 in the range) and the transaction APIs without KIP-890', async (t) => {
  const broker = await startTestBroker(t);
  const client = await connectClient(t, broker);
  const res = await client.request(ApiVersionsApi, 3, {
    clientSoftwareName: 'raw',
    clientSoftwareVersion: '1',
  });
  assert.deepEqual(
    res.apiKeys.find((k) => k.apiKey === 22),
    { apiKey: 22, minVersion: 0, maxVersion: 5 },
  );
  // Never Produce >= 12, AddPartitionsToTxn >= 4 or EndTxn >= 5 (KIP-890 semantics); no WriteTxnMarkers.
  const ranges = Object.fromEntries(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
  assert.deepEqual(
    [0, 24, 25, 26, 27, 28].map((key) => ranges[key]),
    [[3, 11], [0, 3], [0, 3], [0, 4], undefined, [0, 4]],
  );
});

test('InitProducerId v0, v1, v4 and v5 without a transactional id: a fresh id each time, epoch 0', async (t) => {
  const broker = await startTestBroker(t);
  const client = await connectClient(t, broker);
  const ids: bigint[] = [];
  for (const version of [0, 1, 4, 5]) {
    const res = await client.request(InitProducerIdApi, version, idempotent);
    assert.equal(res.errorCode, ErrorCode.NONE, `v${version}`);
    assert.equal(res.producerEpoch, 0, `v${version}`);
    assert.equal(res.throttleTimeMs, 0);
    ids.push(res.producerId);
  }
  assert.deepEqual(ids, [0n, 1n, 2n, 3n]);
});

test('InitProducerId v3+ with the current id and epoch (KIP-360 bump): a fresh id, epoch 0', async (t) => {
  const broker = await startTestBroker(t);
  const client = await connectClient(t, broker);
  const first = await client.request(InitProducerIdApi, 4, idempotent);
  const bump = await client.request(InitProducerIdApi, 4, {
    ...idempotent,
    producerId: first.producerId,
    producerEpoch: first.producerEpoch,
  });
  assert.equal(bump.errorCode, ErrorCode.NONE);
  assert.notEqual(bump.producerId, first.producerId);
  assert.equal(bump.producerEpoch, 0);
  // What platformatic sends on every call: id 0, epoch 0.
  const platformatic = await client.request(InitProducerIdApi, 5, {
    ...idempotent,
    producerId: 0n,
    producerEpoch: 0,
  });
  assert.equal(platformatic.errorCode, ErrorCode.NONE);
  assert.ok(platformatic.producerId > bump.producerId);
});

test('InitProducerId with a transactional id: an id, then the same id with the epoch bumped', async (t) => {
  const broker = await startTestBroker(t);
  const client = await connectClient(t, broker);
  const txn = { ...idempotent, transactionalId: 'txn-a' };
  const first = await client.request(InitProducerIdApi, 1, txn);
  assert.equal(first.errorCode, ErrorCode.NONE);
  assert.equal(first.producerEpoch, 0);
  const again = await client.request(InitProducerIdApi, 4, txn);
  assert.deepEqual([again.errorCode, again.producerId, again.producerEpoch], [0, first.producerId, 1]);
  // KIP-360 (v3+): naming the current id and epoch bumps it again.
  const bumped = await client.request(InitProducerIdApi, 5, {
    ...txn,
    producerId: again.producerId,
    producerEpoch: again.producerEpoch,
  });
  assert.deepEqual([bumped.errorCode, bumped.producerId, bumped.producerEpoch], [0, first.producerId, 2]);
  // Another transactional id gets another producer id.
  const other = await client.request(InitProducerIdApi, 4, { ...idempotent, transactionalId: 'txn-b' });
  assert.notEqual(other.producerId, first.producerId);
});

test('InitProducerId with a transactional id refuses an empty id, a bad timeout and a stale producer', async (t) => {
  const broker = await startTestBroker(t);
  const client = await connectClient(t, broker);
  const txn = { ...idempotent, transactionalId: 'txn-c' };
  const codeOf = async (version: number, request: InitProducerIdRequest) =>
    (await client.request(InitProducerIdApi, version, request)).errorCode;
  assert.equal(await codeOf(5, { ...idempotent, transactionalId: '' }), ErrorCode.INVALID_REQUEST);
  assert.equal(await codeOf(4, { ...txn, transactionTimeoutMs: 0 }), ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  assert.equal(
    await codeOf(4, { ...txn, transactionTimeoutMs: 900_001 }),
    ErrorCode.INVALID_TRANSACTION_TIMEOUT,
  );
  const current = await client.request(InitProducerIdApi, 4, txn);
  const stale = { ...txn, producerId: current.producerId, producerEpoch: current.producerEpoch - 1 };
  // Version-gated: PRODUCER_FENCED from v4, INVALID_PRODUCER_EPOCH before.
  assert.equal(await codeOf(4, stale), ErrorCode.PRODUCER_FENCED);
  assert.equal(await codeOf(3, stale), ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal(
    await codeOf(4, { ...txn, producerId: current.producerId + 100n, producerEpoch: 0 }),
    ErrorCode.INVALID_PRODUCER_ID_MAPPING,
  );
});

test('producer ids are never reused across a broker restart', async (t) => {
  const dataDir = await tempDir();
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const seen = new Set<bigint>();
  for (let run = 0; run < 3; run++) {
    await t.test(`run ${run}`, async (tt) => {
      const broker = await startTestBroker(tt, { dataDir });
      const client = await connectClient(tt, broker);
      for (let i = 0; i < 3; i++) {
        const { producerId } = await client.request(InitProducerIdApi, 4, idempotent);
        assert.ok(!seen.has(producerId), `id ${producerId} handed out twice`);
        seen.add(producerId);
      }
    });
  }
});

test('a failed reservation of ids: COORDINATOR_LOAD_IN_PROGRESS (retriable), the next call succeeds', async (t) => {
  const fs = new FaultFs();
  const broker = await startTestBroker(t, { fs });
  const client = await connectClient(t, broker);
  fs.inject({ op: 'sync', path: /producer-ids\.json\.tmp$/ });
  const failed = await client.request(InitProducerIdApi, 4, idempotent);
  assert.equal(failed.errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(failed.producerId, -1n);
  const ok = await client.request(InitProducerIdApi, 4, idempotent);
  assert.equal(ok.errorCode, ErrorCode.NONE);
  assert.equal(ok.producerId, 0n);
});
