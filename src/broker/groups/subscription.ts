// The topics a consumer-protocol member subscribes to, read from its JoinGroup metadata (a
// ConsumerProtocolSubscription behind an int16 version that is not part of the generated body).
import { decodeConsumerProtocolSubscription } from '../../protocol/messages/index.ts';
import { Reader } from '../../protocol/reader.ts';

/**
 * The subscribed topics, or undefined when the bytes are not a consumer subscription. Only the topics are
 * needed and they come first in every version, so the body is read as version 0 whatever version it
 * claims: kafkajs and older @platformatic/kafka announce a newer version but send a version-0 body.
 */
export function subscribedTopics(metadata: Buffer): string[] | undefined {
  try {
    const reader = new Reader(metadata);
    const version = reader.int16();
    if (version < 0) return undefined;
    return decodeConsumerProtocolSubscription(reader, 0).topics;
  } catch {
    return undefined;
  }
}
