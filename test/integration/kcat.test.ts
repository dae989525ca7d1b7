// kcat (librdkafka 2.0.2) on whichever target the environment names (test/helpers/target.ts): -P with
// keys, headers and every compression codec read back with -C, -L for a topic, and -Q by timestamp.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runKcat } from '../helpers/kcat.ts';
import { startTarget, uniqueTopic, type Target } from '../helpers/target.ts';

let target: Target;
before(async () => {
  target = await startTarget();
});
after(() => target?.stop());

async function kcat(args: string[], input = ''): Promise<string> {
  const bootstrap = ['-b', target.bootstrap, '-X', 'enable.idempotence=false'];
  return (await runKcat([...bootstrap, ...args], { input })).stdout;
}

test('kcat -P with keys, headers and each codec; -C -o beginning -e reads them back in order', async () => {
  const topic = uniqueTopic('codecs');
  await target.createTopic(topic, 1);
  const expected: string[] = [];
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    const lines = Array.from(
      { length: 20 },
      (_, i) => `${codec}-k${i}:${codec} value ${i} ${'z'.repeat(64)}`,
    );
    await kcat(
      ['-P', '-t', topic, '-K:', '-H', `codec=${codec}`, '-H', 'via=kcat', '-z', codec],
      lines.join('\n') + '\n',
    );
    expected.push(...lines.map((l) => `${l.replace(':', ' ')} codec=${codec},via=kcat`));
  }
  const out = await kcat(['-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%o %k %s %h\n']);
  assert.deepEqual(
    out.trimEnd().split('\n'),
    expected.map((line, offset) => `${offset} ${line}`),
  );
});

test('kcat -L -t lists one topic with its partitions and leaders', async () => {
  const topic = uniqueTopic('listed');
  await target.createTopic(topic, 2);
  const out = await kcat(['-L', '-t', topic]);
  assert.match(out, new RegExp(`topic "${topic}" with 2 partitions:`));
  assert.match(out, /partition 0, leader \d+, replicas: \d+/);
  assert.match(out, /partition 1, leader \d+, replicas: \d+/);
});

test('kcat -Q -t topic:partition:timestamp finds the first offset at or after a timestamp', async () => {
  const topic = uniqueTopic('timed');
  await target.createTopic(topic, 1);
  await kcat(['-P', '-t', topic], 'one\ntwo\n');
  await kcat(['-P', '-t', topic], 'three\n');
  const stored = await kcat(['-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%o %T %s\n']);
  const [offset, timestamp, value] = stored.trimEnd().split('\n')[2].split(' ');
  assert.deepEqual([offset, value], ['2', 'three']);
  const query = async (ms: bigint): Promise<string> => (await kcat(['-Q', '-t', `${topic}:0:${ms}`])).trim();
  assert.equal(await query(0n), `${topic} [0] offset 0`);
  assert.equal(await query(BigInt(timestamp)), `${topic} [0] offset 2`);
  assert.equal(await query(BigInt(timestamp) + 1n), `${topic} [0] offset -1`);
});
