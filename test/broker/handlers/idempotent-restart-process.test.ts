// Idempotence across a broker crash: `sluice broker` as a child process (fsync durability), SIGKILLed
// after idempotent produces (so no clean-shutdown snapshot is written), restarted on the same data
// directory: the producer state is rebuilt from the log tail, and resending the last batches with the
// same producer id, epoch and sequences gets the original offsets, the log unchanged. Needs `npm run build`.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { PRODUCER_SNAPSHOT_FILE } from '../../../src/broker/producers/producer-snapshot.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { CreateTopicsApi, InitProducerIdApi } from '../../../src/protocol/messages/index.ts';
import { startBrokerProcess } from '../../helpers/broker-process.ts';
import { tempDir } from '../../helpers/broker.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { batchOf, produce } from './data-path.ts';
import { storedRecords } from './idempotence-faults.ts';

test('SIGKILL, restart: a resent batch (same id, epoch, sequence) gets its original offset, the log unchanged', async (t) => {
  const dataDir = await tempDir('sluice-idempotent-crash-');
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const batch = (i: number, producerId: bigint) =>
    batchOf(`r${i}`, 2, { producerId, producerEpoch: 0, baseSequence: 2 * i });

  const before = await startBrokerProcess(t, { dataDir, durability: 'fsync' });
  const client = await RawClient.connect(before.port);
  t.after(() => client.close());
  const created = await client.request(CreateTopicsApi, 7, {
    topics: [{ name: 'events', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
  const init = { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 };
  const { producerId } = await client.request(InitProducerIdApi, 4, init);
  for (let i = 0; i < 4; i++) {
    const res = await produce(client, 7, 'events', 0, batch(i, producerId));
    assert.deepEqual([res.errorCode, res.baseOffset], [ErrorCode.NONE, BigInt(2 * i)]);
  }
  assert.deepEqual(await before.kill('SIGKILL'), { code: null, signal: 'SIGKILL' });
  client.close();
  assert.equal(
    existsSync(join(dataDir, PRODUCER_SNAPSHOT_FILE)),
    false,
    'a killed broker writes no snapshot',
  );

  const after = await startBrokerProcess(t, { dataDir, durability: 'fsync' });
  const again = await RawClient.connect(after.port);
  t.after(() => again.close());
  // The retries a client would send for its last batches in flight.
  for (const i of [3, 2]) {
    const res = await produce(again, 7, 'events', 0, batch(i, producerId));
    assert.deepEqual([res.errorCode, res.baseOffset], [ErrorCode.NONE, BigInt(2 * i)], `resent batch ${i}`);
  }
  const stored = await storedRecords(after.port, 'events');
  assert.deepEqual(
    stored.map((r) => r.value),
    [0, 1, 2, 3].flatMap((i) => [`r${i}-0`, `r${i}-1`]),
  );
  // The producer carries on where it was; a gap is still a gap.
  const gap = await produce(again, 7, 'events', 0, batch(5, producerId));
  assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  const next = await produce(again, 7, 'events', 0, batch(4, producerId));
  assert.deepEqual([next.errorCode, next.baseOffset], [ErrorCode.NONE, 8n]);
  // Ids handed out before the crash are never handed out again.
  const fresh = await again.request(InitProducerIdApi, 4, init);
  assert.ok(fresh.producerId > producerId, `${fresh.producerId} after ${producerId}`);
  assert.deepEqual(await after.stop(), { code: 0, signal: null });
  assert.equal(existsSync(join(dataDir, PRODUCER_SNAPSHOT_FILE)), true, 'a clean stop writes the snapshot');
});
