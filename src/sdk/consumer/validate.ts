// consume()'s options checked up front, for callers in plain JavaScript too: each mistake a clear error.
import { retryPolicy } from './retry.ts';
import { ConsumerConfigError, type ConsumeOptions } from './types.ts';

const SEMANTICS = ['at-most-once', 'at-least-once', 'effectively-once'];

function nonEmpty(value: unknown, what: string): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConsumerConfigError(`${what} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
}

export function validateOptions<Tx>(options: ConsumeOptions<Tx>): void {
  const o = options as unknown as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) throw new ConsumerConfigError('consume() needs an options object');
  const bus = o.bus as { bootstrap?: unknown } | undefined;
  if (!bus || !Array.isArray(bus.bootstrap) || bus.bootstrap.length === 0) {
    throw new ConsumerConfigError('bus.bootstrap must be a non-empty array of "host:port"');
  }
  nonEmpty(o.topic, 'topic');
  nonEmpty(o.group, 'group');
  if (!SEMANTICS.includes(o.semantics as string)) {
    throw new ConsumerConfigError(
      `semantics must be one of ${SEMANTICS.join(', ')}, got ${JSON.stringify(o.semantics)}`,
    );
  }
  if (typeof o.handler !== 'function') throw new ConsumerConfigError('handler must be a function');
  if (o.semantics === 'effectively-once') {
    const sink = o.sink as { transaction?: unknown } | undefined;
    if (!sink || typeof sink.transaction !== 'function') {
      throw new ConsumerConfigError('effectively-once needs a sink (sqliteSink or postgresSink)');
    }
  } else if (o.sink !== undefined) {
    throw new ConsumerConfigError(`a sink is only used by effectively-once, not ${String(o.semantics)}`);
  }
  if (o.deadLetterTopic !== undefined) {
    nonEmpty(o.deadLetterTopic, 'deadLetterTopic');
    if (o.deadLetterTopic === o.topic) {
      throw new ConsumerConfigError('deadLetterTopic must differ from topic (a poison record would loop)');
    }
  }
  if (o.groupInstanceId !== undefined) {
    nonEmpty(o.groupInstanceId, 'groupInstanceId');
    if (/\s/.test(o.groupInstanceId as string)) {
      throw new ConsumerConfigError(
        `groupInstanceId must not contain whitespace, got ${JSON.stringify(o.groupInstanceId)}`,
      );
    }
  }
  if (
    o.maxFetchBytes !== undefined &&
    !(Number.isSafeInteger(o.maxFetchBytes) && (o.maxFetchBytes as number) > 0)
  ) {
    throw new ConsumerConfigError(
      `maxFetchBytes must be a positive integer (bytes), got ${JSON.stringify(o.maxFetchBytes)}`,
    );
  }
  retryPolicy(o.retry as ConsumeOptions<Tx>['retry']);
  if (
    o.lagIntervalMs !== undefined &&
    !(Number.isFinite(o.lagIntervalMs) && (o.lagIntervalMs as number) >= 0)
  ) {
    throw new ConsumerConfigError(
      `lagIntervalMs must be a number >= 0, got ${JSON.stringify(o.lagIntervalMs)}`,
    );
  }
}
