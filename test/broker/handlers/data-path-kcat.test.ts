// The data path with kcat (librdkafka 2.0.2): -P with keys, headers and every compression codec, read
// back with -C; -Q by timestamp. What kcat wrote is also read with our own codec, to see the codec it used.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestBroker } from '../../helpers/broker.ts';
import { runKcat } from '../../helpers/kcat.ts';
import { readBatchHeader, decodeRecords, splitBatches } from '../../../src/protocol/record-batch.ts';
import { connectClient, fetch, fetchRequest, setup } from './data-path.ts';

async function kcat(broker: TestBroker, args: string[], input = ''): Promise<string> {
  const bootstrap = ['-b', broker.bootstrap, '-X', 'enable.idempotence=false'];
  return (await runKcat([...bootstrap, ...args], { input })).stdout;
}

test('kcat -P with keys, headers and each codec; -C -o beginning -e reads them back', async (t) => {
  const { broker } = await setup(t);
  const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
  const expected: string[] = [];
  for (const codec of codecs) {
    // Repetitive values, so every codec really shrinks the batch and librdkafka keeps it compressed.
    const lines = Array.from(
      { length: 20 },
      (_, i) => `${codec}-k${i}:${codec} value ${i} ${'z'.repeat(64)}`,
    );
    await kcat(
      broker,
      ['-P', '-t', 'events', '-K:', '-H', `codec=${codec}`, '-H', 'via=kcat', '-z', codec],
      lines.join('\n') + '\n',
    );
    expected.push(...lines.map((l) => `${l.replace(':', ' ')} codec=${codec},via=kcat`));
  }
  const out = await kcat(broker, ['-C', '-t', 'events', '-o', 'beginning', '-e', '-f', '%k %s %h\n']);
  assert.deepEqual(out.trimEnd().split('\n'), expected);

  // Stored verbatim, in the codec kcat chose. librdkafka 2.0.2 compresses with gzip and snappy only
  // when the broker's Produce range includes v0, and with lz4 only when FindCoordinator v0 is there too
  // (its rd_kafka_msgset_writer compression gate); with Produce 3-11 it sends those batches uncompressed.
  // zstd needs Produce v7, so it is compressed.
  const client = await connectClient(t, broker);
  const res = await fetch(client, 11, fetchRequest('events', [{ offset: 0n }]));
  const records = res.responses[0].partitions[0].records!;
  const batches = [...splitBatches(records)];
  const stored = batches.map((b) => {
    const header = readBatchHeader(records, b.offset);
    return {
      codec: decodeRecords(records, b.offset)[0].key!.toString().split('-')[0],
      compression: header.compression,
    };
  });
  assert.ok(
    stored.every((b) => b.compression === 'none' || b.compression === b.codec),
    JSON.stringify(stored),
  );
  assert.ok(
    stored.filter((b) => b.codec === 'zstd').every((b) => b.compression === 'zstd'),
    JSON.stringify(stored),
  );
  const decoded = batches.flatMap((b) => decodeRecords(records, b.offset));
  assert.equal(decoded.length, 100);
  assert.deepEqual(
    decoded.map((r) => r.offset),
    Array.from({ length: 100 }, (_, i) => BigInt(i)),
  );
  assert.equal(decoded[25].key?.toString(), 'gzip-k5');
  assert.deepEqual(
    decoded[25].headers.map((h) => `${h.key}=${h.value?.toString()}`),
    ['codec=gzip', 'via=kcat'],
  );
});

test('kcat -Q -t topic:partition:timestamp finds the first offset at or after a timestamp', async (t) => {
  const { broker } = await setup(t);
  await kcat(broker, ['-P', '-t', 'events'], 'one\ntwo\n');
  await kcat(broker, ['-P', '-t', 'events'], 'three\n');
  // The exact timestamp of "three", as the broker stored it.
  const client = await connectClient(t, broker);
  const res = await fetch(client, 11, fetchRequest('events', [{ offset: 2n }]));
  const [three] = decodeRecords(res.responses[0].partitions[0].records!);
  assert.equal(three.value?.toString(), 'three');
  const query = async (ms: bigint): Promise<string> =>
    (await kcat(broker, ['-Q', '-t', `events:0:${ms}`])).trim();
  assert.equal(await query(0n), 'events [0] offset 0');
  assert.equal(await query(three.timestamp), `events [0] offset ${three.offset}`);
  assert.equal(await query(three.timestamp + 1n), 'events [0] offset -1');
});
