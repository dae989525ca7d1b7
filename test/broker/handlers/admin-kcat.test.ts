// kcat (librdkafka 2.0.2, Metadata v4) lists this broker and its topics: `kcat -L` against the in-process
// broker, its text output parsed line by line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestBroker } from '../../helpers/broker.ts';
import { runKcat } from '../../helpers/kcat.ts';

async function kcat(args: string[]): Promise<string> {
  return (await runKcat(args, { timeoutMs: 120_000 })).stdout;
}

interface Listing {
  brokers: { id: number; address: string; controller: boolean }[];
  topics: Map<string, { partitions: number; lines: string[] }>;
}

/** Parses `kcat -L`: " N brokers:", "  broker <id> at <host:port> (controller)", topics and partition lines. */
function parseListing(text: string): Listing {
  const listing: Listing = { brokers: [], topics: new Map() };
  let current: { partitions: number; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    const broker = /^\s+broker (\d+) at (\S+)( \(controller\))?$/.exec(line);
    if (broker) {
      listing.brokers.push({
        id: Number(broker[1]),
        address: broker[2],
        controller: broker[3] !== undefined,
      });
      continue;
    }
    const topic = /^\s+topic "([^"]+)" with (\d+) partitions:$/.exec(line);
    if (topic) {
      current = { partitions: Number(topic[2]), lines: [] };
      listing.topics.set(topic[1], current);
      continue;
    }
    if (/^\s+partition \d+/.test(line)) current?.lines.push(line.trim());
  }
  return listing;
}

test('kcat -L lists this broker as the controller and every topic with its partitions', async (t) => {
  const broker = await startTestBroker(t, { nodeId: 3 });
  await broker.context.topics.create('alpha', 3, {});
  await broker.context.topics.create('beta', 1, {});
  const listing = parseListing(await kcat(['-L', '-b', broker.bootstrap]));
  assert.deepEqual(listing.brokers, [{ id: 3, address: broker.bootstrap, controller: true }]);
  assert.deepEqual([...listing.topics.keys()].sort(), ['alpha', 'beta']);
  assert.equal(listing.topics.get('alpha')!.partitions, 3);
  assert.deepEqual(listing.topics.get('alpha')!.lines, [
    'partition 0, leader 3, replicas: 3, isrs: 3',
    'partition 1, leader 3, replicas: 3, isrs: 3',
    'partition 2, leader 3, replicas: 3, isrs: 3',
  ]);
});

test('kcat -L -t asks for one topic', async (t) => {
  const broker = await startTestBroker(t);
  await broker.context.topics.create('wanted', 2, {});
  await broker.context.topics.create('other', 1, {});
  const listing = parseListing(await kcat(['-L', '-b', broker.bootstrap, '-t', 'wanted']));
  assert.deepEqual([...listing.topics.keys()], ['wanted']);
  assert.equal(listing.topics.get('wanted')!.partitions, 2);
});
