// What AlterConfigs and IncrementalAlterConfigs share: finding the resource, refusing changes to the
// broker's own settings (they come from flags and the config file, and take a restart), and applying a
// validated set of topic overrides through the topic manager, which persists them in topics.json.
// Retention settings take effect at the next retention check; segment settings when the log next opens.
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { TopicOverrides } from '../topics/topic-config.ts';
import { topicNameProblem } from '../topics/topic-name.ts';
import { ResourceType, brokerNameProblem, type OverridesCheck } from './config-entries.ts';
import type { RequestContext } from './handler.ts';
import { failureCode, messageOf } from './topic-admin.ts';

export interface AlterResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

export interface AlterTarget {
  readonly resourceType: number;
  readonly resourceName: string;
  /** Names of the configs the request touches (for the broker's read-only refusal and duplicate check). */
  readonly configNames: readonly string[];
}

/**
 * Config changes run one at a time per broker, so the read-modify-write of IncrementalAlterConfigs never
 * loses a concurrent change made from another connection.
 */
const queues = new WeakMap<object, Promise<unknown>>();

function serially<T>(ctx: RequestContext, task: () => Promise<T>): Promise<T> {
  const key = ctx.broker.topics;
  const run = (queues.get(key) ?? Promise.resolve()).then(task, task);
  queues.set(
    key,
    run.catch(() => undefined),
  );
  return run;
}

/**
 * Alters one resource. `next` computes the topic's complete new overrides from its current ones, or says
 * why it cannot. Nothing is written when validateOnly is set or when anything fails.
 */
export function alterResource(
  ctx: RequestContext,
  target: AlterTarget,
  validateOnly: boolean,
  next: (current: TopicOverrides) => OverridesCheck,
): Promise<AlterResult> {
  return serially(ctx, () => alterNow(ctx, target, validateOnly, next));
}

async function alterNow(
  ctx: RequestContext,
  target: AlterTarget,
  validateOnly: boolean,
  next: (current: TopicOverrides) => OverridesCheck,
): Promise<AlterResult> {
  const done = (errorCode: number, errorMessage: string | null): AlterResult => ({
    errorCode,
    errorMessage,
    resourceType: target.resourceType,
    resourceName: target.resourceName,
  });
  const { broker } = ctx;

  if (target.resourceType === ResourceType.BROKER) {
    const problem = brokerNameProblem(broker.nodeId, target.resourceName);
    if (problem !== undefined) return done(ErrorCode.INVALID_REQUEST, problem);
    if (target.configNames.length === 0) return done(ErrorCode.NONE, null);
    return done(
      ErrorCode.INVALID_CONFIG,
      `broker settings cannot be changed at run time (${target.configNames.join(', ')}): ` +
        'set them in the config file or with flags and restart the broker',
    );
  }
  if (target.resourceType !== ResourceType.TOPIC) {
    return done(
      ErrorCode.INVALID_REQUEST,
      `resource type ${target.resourceType} is not supported; this broker has topic (2) and broker (4) configs`,
    );
  }

  const nameProblem = topicNameProblem(target.resourceName);
  if (nameProblem !== undefined) return done(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
  const topic = broker.topics.get(target.resourceName);
  if (!topic)
    return done(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${target.resourceName}" does not exist`);

  const duplicate = target.configNames.find((n, i) => target.configNames.indexOf(n) !== i);
  if (duplicate !== undefined) {
    return done(ErrorCode.INVALID_REQUEST, `config "${duplicate}" is given more than once`);
  }
  const checked = next(topic.overrides);
  if (!checked.ok) return done(ErrorCode[checked.errorCode], checked.message);
  if (validateOnly) return done(ErrorCode.NONE, null);
  try {
    await broker.topics.setOverrides(topic.name, checked.overrides);
  } catch (err) {
    return done(failureCode(ctx, err, `changing the configs of ${topic.name}`), messageOf(err));
  }
  if (!broker.topics.get(topic.name)) {
    return done(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic.name}" was deleted`);
  }
  return done(ErrorCode.NONE, null);
}
