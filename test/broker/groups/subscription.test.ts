// Reading the subscribed topics out of a member's consumer-protocol metadata, as OffsetDelete does: every
// version's topics, a body shorter than its announced version (kafkajs sends v0 bodies under newer
// versions), and bytes that are not a subscription.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { subscribedTopics } from '../../../src/broker/groups/subscription.ts';
import { encodeConsumerProtocolSubscription } from '../../../src/protocol/messages/index.ts';
import { Writer } from '../../../src/protocol/writer.ts';

function encoded(version: number, announced = version): Buffer {
  const w = new Writer();
  w.int16(announced);
  encodeConsumerProtocolSubscription(w, version, {
    topics: ['a', 'b'],
    userData: Buffer.from('x'),
    ownedPartitions: [{ topic: 'a', partitions: [0, 1] }],
    generationId: 4,
    rackId: 'rack-1',
  });
  return Buffer.from(w.toBuffer());
}

test('the topics of every subscription version', () => {
  for (const version of [0, 1, 2, 3]) assert.deepEqual(subscribedTopics(encoded(version)), ['a', 'b']);
});

test('a version-0 body announced as a newer version still gives its topics', () => {
  assert.deepEqual(subscribedTopics(encoded(0, 3)), ['a', 'b']);
});

test('bytes that are not a subscription give undefined', () => {
  assert.equal(subscribedTopics(Buffer.alloc(0)), undefined);
  assert.equal(subscribedTopics(Buffer.from([0xff])), undefined);
  assert.equal(subscribedTopics(Buffer.from([0xff, 0xff, 0, 0, 0, 1])), undefined);
  assert.equal(subscribedTopics(Buffer.from([0, 0, 0, 0, 0, 9, 0, 1])), undefined);
});
