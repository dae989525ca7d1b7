// Large fetches through clients nobody here wrote: the broker sends record batches of 4 KiB or more straight
// from the Buffers its log reads returned (one vectored write per response, its own bytes between them), so
// every value must come back byte for byte and in order, whether batches are big or small, in the classic
// (kcat, librdkafka: Fetch v11) and the flexible (@platformatic/kafka) encodings.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { Consumer } from '@platformatic/kafka';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';
import { startTestBroker, type TestBroker } from '../../helpers/broker.ts';
import { runKcat } from '../../helpers/kcat.ts';

const TOPIC = 'large';
const PARTITIONS = 3;
const BATCHES_PER_PARTITION = 24;
const NO_EPOCH = -1;

/**
 * Each partition: big batches (a few records of 10–60 KB, sent by reference) between small ones (a record
 * or two of under 100 bytes, copied into the response), ~2 MB in all. Returns each partition's values.
 */
async function fill(broker: TestBroker): Promise<string[][]> {
  const topic = await broker.context.topics.create(TOPIC, PARTITIONS, {});
  const expected: string[][] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const values: string[] = [];
    for (let b = 0; b < BATCHES_PER_PARTITION; b++) {
      const big = b % 3 !== 2;
      const count = big ? 1 + (b % 4) : 1 + (b % 2);
      const batch = Array.from({ length: count }, (_, r) => {
        const filler = big ? randomBytes(5_000 + ((p * 7 + b * 13 + r) % 25) * 1_000) : randomBytes(20);
        return `p${p}-b${b}-r${r}-${filler.toString('hex')}`;
      });
      await topic.partitions[p].log.append(
        buildRecordBatch({ records: batch.map((v) => ({ value: Buffer.from(v) })) }),
      );
      values.push(...batch);
    }
    expected.push(values);
  }
  return expected;
}

/** Every value of every partition through Consumer.fetch(), several partitions per response. */
async function fetchWithPlatformatic(t: TestContext, broker: TestBroker): Promise<string[][]> {
  const consumer = new Consumer({
    clientId: 'fetch-large',
    groupId: 'fetch-large-unused',
    bootstrapBrokers: [broker.bootstrap],
    retries: 0,
  });
  t.after(() => consumer.close(true));
  const metadata = await consumer.metadata({ topics: [TOPIC] });
  const topic = metadata.topics.get(TOPIC)!;
  const highWatermarks = Array.from(
    { length: PARTITIONS },
    (_, p) => broker.context.topics.partition(TOPIC, p)!.log.highWatermark,
  );
  const next = highWatermarks.map(() => 0n);
  const values: string[][] = highWatermarks.map(() => []);
  const pending = (): number[] => next.flatMap((offset, p) => (offset < highWatermarks[p] ? [p] : []));
  for (let left = pending(); left.length > 0; left = pending()) {
    const response = await consumer.fetch({
      node: topic.partitions[0].leader,
      maxWaitTime: 0,
      minBytes: 1,
      maxBytes: 1024 * 1024,
      topics: [
        {
          topicId: topic.id,
          partitions: left.map((partition) => ({
            partition,
            fetchOffset: next[partition],
            currentLeaderEpoch: NO_EPOCH,
            lastFetchedEpoch: NO_EPOCH,
            // Small enough for many fetches, each answering several partitions.
            partitionMaxBytes: 200 * 1024,
          })),
        },
      ],
    });
    for (const partition of response.responses[0].partitions) {
      assert.equal(partition.errorCode, 0);
      for (const batch of partition.records ?? []) {
        for (const record of batch.records)
          values[partition.partitionIndex].push(record.value?.toString() ?? '(null)');
        next[partition.partitionIndex] = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
      }
    }
  }
  return values;
}

test('large fetches: @platformatic/kafka and kcat read every value back byte for byte', async (t) => {
  const broker = await startTestBroker(t);
  const expected = await fill(broker);

  const viaPlatformatic = await fetchWithPlatformatic(t, broker);
  for (let p = 0; p < PARTITIONS; p++) {
    assert.equal(viaPlatformatic[p].length, expected[p].length, `partition ${p}: record count`);
    viaPlatformatic[p].forEach((v, i) => assert.ok(v === expected[p][i], `platformatic p${p} record ${i}`));
  }

  const { stdout } = await runKcat([
    ...['-b', broker.bootstrap, '-C', '-t', TOPIC, '-o', 'beginning', '-e', '-f', '%p %s\n'],
    ...['-X', 'fetch.max.bytes=1048576', '-X', 'max.partition.fetch.bytes=204800'],
  ]);
  const viaKcat: string[][] = expected.map(() => []);
  for (const line of stdout.trimEnd().split('\n')) {
    const space = line.indexOf(' ');
    viaKcat[Number(line.slice(0, space))].push(line.slice(space + 1));
  }
  for (let p = 0; p < PARTITIONS; p++) {
    assert.equal(viaKcat[p].length, expected[p].length, `partition ${p}: record count`);
    viaKcat[p].forEach((v, i) => assert.ok(v === expected[p][i], `kcat p${p} record ${i}`));
  }
});
