// DeleteTopics (key 20), versions 0-6. v0-5 name topics; v6 names each one by name or by id (exactly
// one of them). Unknown names answer UNKNOWN_TOPIC_OR_PARTITION, unknown ids UNKNOWN_TOPIC_ID; a topic
// named twice in one request is refused, as Kafka does. Deletion is synchronous: the metadata is written
// first, then the partition logs are closed (which wakes fetches parked on them) and removed.
import { ErrorCode } from '../../protocol/error-codes.ts';
import {
  DeleteTopicsApi,
  type DeleteTopicsResponse,
  type DeleteTopicsResponseDeletableTopicResult,
} from '../../protocol/messages/index.ts';
import { ZERO_UUID, type Topic } from '../topics/topic-manager.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import { failureCode, messageOf } from './topic-admin.ts';

type Result = DeleteTopicsResponseDeletableTopicResult;

/** One topic the request names: by name, or (v6) by id. */
interface Target {
  readonly name: string | null;
  readonly topicId: string;
}

export const deleteTopicsHandler = defineHandler({
  api: DeleteTopicsApi,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, request): Promise<DeleteTopicsResponse> {
    const targets: Target[] =
      ctx.apiVersion >= 6
        ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
        : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const keyOf = (t: Target): string => (t.topicId !== ZERO_UUID ? `id:${t.topicId}` : `name:${t.name}`);
    const counts = new Map<string, number>();
    for (const t of targets) counts.set(keyOf(t), (counts.get(keyOf(t)) ?? 0) + 1);

    const responses: Result[] = [];
    for (const target of targets) {
      if (counts.get(keyOf(target))! > 1) {
        responses.push(
          result(ctx, target, ErrorCode.INVALID_REQUEST, 'topic appears more than once in the request'),
        );
        continue;
      }
      responses.push(await deleteOne(ctx, target));
    }
    return { throttleTimeMs: 0, responses };
  },
});

async function deleteOne(ctx: RequestContext, target: Target): Promise<Result> {
  const { topics } = ctx.broker;
  let topic: Topic | undefined;
  if (target.topicId !== ZERO_UUID) {
    if (target.name !== null) {
      return result(ctx, target, ErrorCode.INVALID_REQUEST, 'give a topic name or a topic id, not both');
    }
    topic = topics.getById(target.topicId);
    if (!topic) return result(ctx, target, ErrorCode.UNKNOWN_TOPIC_ID, `no topic has id ${target.topicId}`);
  } else {
    if (target.name === null) {
      return result(ctx, target, ErrorCode.INVALID_REQUEST, 'a topic needs a name or an id');
    }
    topic = topics.get(target.name);
    if (!topic) {
      return result(
        ctx,
        target,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `topic "${target.name}" does not exist`,
      );
    }
  }
  const done = { name: topic.name, topicId: topic.id };
  try {
    // false: another request deleted it while this one waited its turn; like Kafka, the later one is told
    // the topic does not exist.
    const deleted = await topics.delete(topic.name);
    if (!deleted) {
      return result(ctx, done, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic.name}" does not exist`);
    }
    // Its committed offsets go too. The topic is gone either way; offsets a failure leaves behind are
    // dropped at the next start (startBroker: retainTopics).
    await ctx.broker.offsets
      .deleteTopic(done.name)
      .catch((err: unknown) =>
        ctx.broker.logger.error(
          { err, topic: done.name },
          'could not drop the committed offsets of a deleted topic',
        ),
      );
    return result(ctx, done, ErrorCode.NONE, null);
  } catch (err) {
    return result(ctx, done, failureCode(ctx, err, `deleting topic ${topic.name}`), messageOf(err));
  }
}

function result(ctx: RequestContext, target: Target, errorCode: number, message: string | null): Result {
  return {
    // Before v6 the name is not nullable; a v0-5 target always has one.
    name: ctx.apiVersion >= 6 ? target.name : (target.name ?? ''),
    topicId: target.topicId,
    errorCode,
    errorMessage: message,
  };
}
