// The bus consumer: a group member over the client library's Consumer, delivering per-partition ordered
// batches with backpressure, manual commits only, start offsets chosen on assignment (consumer-types.ts).
import { clientOptions, positive, withDeadline, type BusConfig } from './client-options.ts';
import { BusError, describeError } from './errors.ts';
import type {
  BusConsumer,
  BusConsumerHandlers,
  BusConsumerOptions,
  IncomingRecord,
  TopicPartition,
  TopicPartitionOffset,
} from './consumer-types.ts';
import {
  Consumer,
  FetchIsolationLevels,
  ListOffsetTimestamps,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  type GroupAssignment,
  type Message,
  type MessagesStream,
} from './platformatic.ts';

interface PartitionState extends TopicPartition {
  key: string;
  /** Next offset to deliver; undefined until the start offset is known. */
  position: bigint | undefined;
  queue: IncomingRecord[];
  working: Promise<void> | undefined;
  revoked: boolean;
}

const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

export function createBusConsumer(bus: BusConfig, options: BusConsumerOptions): BusConsumer {
  const base = clientOptions(bus, 'consumer');
  if (typeof options.group !== 'string' || options.group.length === 0) {
    throw new TypeError('group must be a non-empty string');
  }
  if (!Array.isArray(options.topics) || options.topics.length === 0 || options.topics.some((t) => !t)) {
    throw new TypeError('topics must be a non-empty array of topic names');
  }
  const sessionTimeout = positive(options.sessionTimeoutMs, 10_000, 'sessionTimeoutMs');
  const heartbeatInterval = positive(options.heartbeatIntervalMs, 1_000, 'heartbeatIntervalMs');
  const rebalanceTimeout = positive(options.rebalanceTimeoutMs, sessionTimeout, 'rebalanceTimeoutMs');
  const maxBatch = positive(options.maxBatchRecords, 500, 'maxBatchRecords');
  const maxBuffered = positive(options.maxBufferedRecords, 5_000, 'maxBufferedRecords');
  const maxFetchBytes = positive(options.maxFetchBytes, 262_144, 'maxFetchBytes');
  if (
    options.isolation !== undefined &&
    options.isolation !== 'read_committed' &&
    options.isolation !== 'read_uncommitted'
  ) {
    throw new TypeError(
      `isolation must be read_committed or read_uncommitted, got ${String(options.isolation)}`,
    );
  }
  const isolationLevel =
    options.isolation === 'read_committed'
      ? FetchIsolationLevels.READ_COMMITTED
      : FetchIsolationLevels.READ_UNCOMMITTED;
  if (
    options.groupInstanceId !== undefined &&
    (typeof options.groupInstanceId !== 'string' || !/^\S+$/.test(options.groupInstanceId))
  ) {
    throw new TypeError(
      `groupInstanceId must be a non-empty string without whitespace, got ${JSON.stringify(options.groupInstanceId)}`,
    );
  }
  const topics = [...new Set(options.topics)];
  const consumer = new Consumer({
    ...base,
    groupId: options.group,
    ...(options.groupInstanceId === undefined ? {} : { groupInstanceId: options.groupInstanceId }),
    autocommit: false,
    sessionTimeout,
    heartbeatInterval,
    rebalanceTimeout,
    isolationLevel,
    // Short long-polls so close() and rebalances are not held up by a fetch waiting for data.
    maxWaitTime: 500,
    // platformatic's default is 50 MB per partition, every record of a response decoded at once: a consumer
    // restarted behind a backlog of 100k small records decoded all of them (1-3 s) before handling its first.
    maxBytes: maxFetchBytes,
    maxBytesPerPartition: maxFetchBytes,
  });

  const assigned = new Map<string, PartitionState>();
  let handlers: BusConsumerHandlers | undefined;
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  let assigning: Promise<void> = Promise.resolve();
  let assigningCount = 0;
  let buffered = 0;
  let stopping = false;
  let closing: Promise<void> | undefined;
  /** The join and the stream's creation, while run() waits for them. */
  let starting: Promise<MessagesStream<Buffer, Buffer, Buffer, Buffer>> | undefined;
  let commits: Promise<unknown> = Promise.resolve();
  let settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  let failure: unknown;

  // The stream fetches only while no assignment is being applied and the handlers keep up.
  const updateFlow = (): void => {
    if (!stream || !handlers) return;
    const hold = stopping || assigningCount > 0 || buffered >= maxBuffered;
    if (hold && !stream.isPaused()) stream.pause();
    else if (!hold && stream.isPaused() && buffered <= maxBuffered / 2) stream.resume();
  };

  const fail = (error: unknown): void => {
    if (failure !== undefined || stopping) return;
    failure = error;
    void shutdown(false).then(
      () => settle?.reject(error),
      () => settle?.reject(error),
    );
  };

  const onJoin = (payload: { assignments?: GroupAssignment[] }): void => {
    const next = new Map<string, TopicPartition>();
    for (const a of payload.assignments ?? consumer.assignments ?? []) {
      for (const partition of a.partitions)
        next.set(partitionKey(a.topic, partition), { topic: a.topic, partition });
    }
    assigningCount++;
    stream?.pause(); // synchronously: nothing is fetched at stale positions while we work out the new ones
    assigning = assigning
      .then(() => applyAssignment(next))
      .catch(fail)
      .finally(() => {
        assigningCount--;
        updateFlow();
      });
  };

  const applyAssignment = async (next: Map<string, TopicPartition>): Promise<void> => {
    if (stopping || !handlers) return;
    const removed = [...assigned.values()].filter((st) => !next.has(st.key));
    for (const st of removed) {
      st.revoked = true;
      buffered -= st.queue.length;
      st.queue = [];
      assigned.delete(st.key);
    }
    await Promise.all(removed.map((st) => st.working ?? Promise.resolve()));
    if (removed.length > 0 && handlers.onRevoked) {
      await handlers.onRevoked(removed.map(({ topic, partition }) => ({ topic, partition })));
    }
    const added = [...next.entries()].filter(([key]) => !assigned.has(key)).map(([, tp]) => tp);
    if (added.length === 0) return;
    const starts = new Map<string, bigint>();
    for (const s of (await handlers.onAssigned?.(added.map((tp) => ({ ...tp })))) ?? []) {
      if (typeof s.offset !== 'bigint' || s.offset < 0n) {
        throw new TypeError(
          `onAssigned returned a bad offset for ${s.topic}:${s.partition}: ${String(s.offset)}`,
        );
      }
      starts.set(partitionKey(s.topic, s.partition), s.offset);
    }
    const unknown = added.filter((tp) => !starts.has(partitionKey(tp.topic, tp.partition)));
    if (unknown.length > 0) {
      const byTopic = new Map<string, number[]>();
      for (const tp of unknown) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
      const committed = await withDeadline(
        consumer.listCommittedOffsets({
          topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        }),
        base.timeout * 2,
        'reading committed offsets',
      );
      const fallback = await withDeadline(
        consumer.listOffsets({
          topics: [...byTopic.keys()],
          timestamp: options.fromBeginning ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST,
          isolationLevel,
        }),
        base.timeout * 2,
        'reading start offsets',
      );
      for (const tp of unknown) {
        const c = committed.get(tp.topic)?.[tp.partition];
        const f = fallback.get(tp.topic)?.[tp.partition];
        const start = c !== undefined && c >= 0n ? c : f;
        if (start === undefined)
          throw new BusError(`no start offset for ${tp.topic}:${tp.partition}`, { retriable: true });
        starts.set(partitionKey(tp.topic, tp.partition), start);
      }
    }
    for (const tp of added) {
      const key = partitionKey(tp.topic, tp.partition);
      assigned.set(key, {
        ...tp,
        key,
        position: starts.get(key)!,
        queue: [],
        working: undefined,
        revoked: false,
      });
      stream?.offsetsToFetch.set(key, starts.get(key)!);
    }
  };

  const onMessage = (message: Message<Buffer, Buffer, Buffer, Buffer>): void => {
    const st = assigned.get(partitionKey(message.topic, message.partition));
    // Not ours (any more), or before our position (a fetch that was in flight when we seeked).
    if (!st || st.position === undefined || message.offset < st.position) return;
    st.position = message.offset + 1n;
    const headers = new Map<string, Buffer>();
    for (const [k, v] of message.headers) headers.set(Buffer.isBuffer(k) ? k.toString('utf8') : String(k), v);
    st.queue.push({
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      key: message.key ?? null,
      value: message.value ?? null,
      headers,
      timestamp: message.timestamp,
    });
    buffered++;
    updateFlow();
    if (!st.working) st.working = drain(st);
  };

  const drain = async (st: PartitionState): Promise<void> => {
    try {
      while (st.queue.length > 0 && !st.revoked && !stopping && handlers) {
        const batch = st.queue.splice(0, maxBatch);
        buffered -= batch.length;
        updateFlow();
        await handlers.onBatch(batch);
      }
    } catch (error) {
      fail(error);
    } finally {
      st.working = undefined;
    }
  };

  // Stops fetching and delivering, lets the batches in flight finish, hands every partition back through
  // onRevoked (when `revoke`), then closes the stream and leaves the group.
  const shutdown = (revoke: boolean): Promise<void> => {
    closing ??= (async () => {
      stopping = true;
      stream?.pause();
      await assigning.catch(() => undefined);
      await Promise.all([...assigned.values()].map((st) => st.working ?? Promise.resolve()));
      const owned = [...assigned.values()].map(({ topic, partition }) => ({ topic, partition }));
      assigned.clear();
      buffered = 0;
      let handlerError: unknown;
      if (revoke && owned.length > 0 && handlers?.onRevoked) {
        await handlers.onRevoked(owned).catch((error: unknown) => (handlerError = error));
      }
      consumer.off('consumer:group:join', onJoin);
      // A join in flight is let finish first: closing the client under it left a stream and a heartbeat
      // timer running on a closed client (platformatic), which kept the process alive.
      await withDeadline<unknown>(starting ?? Promise.resolve(), base.timeout * 2, 'joining').catch(
        () => undefined,
      );
      if (stream)
        await withDeadline(stream.close(), base.timeout, 'closing the stream').catch(() => undefined);
      await withDeadline(consumer.close(true), base.timeout * 2, 'leaving the group').catch(() =>
        withDeadline(consumer.close(true), base.timeout, 'closing the consumer').catch(() => undefined),
      );
      if (handlerError !== undefined) {
        throw handlerError instanceof Error ? handlerError : new Error(describeError(handlerError));
      }
    })();
    return closing;
  };

  return {
    async run(h) {
      if (handlers) throw new Error('run() was already called on this consumer');
      if (closing) throw new BusError('run() after close()', { retriable: false });
      handlers = h;
      const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      consumer.on('consumer:group:join', onJoin);
      // platformatic emits 'error' when rejoining the group fails (the bus gone mid-rebalance): a BusError
      // like every other failure, so consume() can tell a retriable one and rebuild instead of stopping.
      consumer.on('error', (error: unknown) => fail(BusError.from(`group ${options.group}`, error)));
      const onStreamError = (error: unknown): void =>
        fail(BusError.from(`consuming ${topics.join(',')}`, error));
      try {
        // Joins the group first (our join listener records the assignment), then opens the stream. Manual
        // mode: the stream never replaces a position we set, so our start offsets hold.
        starting = new Promise<MessagesStream<Buffer, Buffer, Buffer, Buffer>>((resolve, reject) =>
          consumer.consume(
            {
              topics,
              mode: MessagesStreamModes.MANUAL,
              offsets: [],
              fallbackMode: options.fromBeginning
                ? MessagesStreamFallbackModes.EARLIEST
                : MessagesStreamFallbackModes.LATEST,
              autocommit: false,
              isolationLevel,
              maxWaitTime: 500,
            },
            (error, created) => {
              if (error || !created) return reject(error ?? new Error('consume() gave no stream'));
              // Listened to here, not after an await: a stream whose first request fails (close() came
              // during the join) emits its error on the next tick, before an await would resume, and an
              // 'error' nobody listens to ends the process.
              created.on('error', onStreamError);
              resolve(created);
            },
          ),
        );
        stream = await starting;
      } catch (error) {
        // close() during a join that then failed: run() ends as it does after any close().
        if (stopping && failure === undefined) return done;
        const wrapped = BusError.from(`joining group ${options.group}`, error);
        fail(wrapped);
        await done.catch(() => undefined);
        throw wrapped;
      }
      if (stopping) return done; // close() came during the join: it waited for it and closes the stream
      stream.pause();
      await assigning.catch(() => undefined);
      for (const st of assigned.values()) stream.offsetsToFetch.set(st.key, st.position!);
      stream.on('data', onMessage);
      stream.pause(); // 'data' listeners switch a stream to flowing: updateFlow decides
      updateFlow();
      return done;
    },
    commit(offsets) {
      for (const o of offsets) {
        if (
          typeof o.offset !== 'bigint' ||
          o.offset < 0n ||
          !Number.isInteger(o.partition) ||
          o.partition < 0
        ) {
          return Promise.reject(
            new TypeError(`bad offset to commit: ${o.topic}:${o.partition}@${String(o.offset)}`),
          );
        }
      }
      if (offsets.length === 0) return Promise.resolve();
      // One commit at a time: two in flight for a partition could land out of order.
      const result = commits.then(() =>
        withDeadline(
          consumer.commit({ offsets: offsets.map((o) => ({ ...o, leaderEpoch: -1 })) }),
          base.timeout * 2,
          `committing offsets of group ${options.group}`,
        ),
      );
      commits = result.catch(() => undefined);
      return result;
    },
    async highWatermarks() {
      const hwm = await withDeadline(
        consumer.listOffsets({ topics, timestamp: ListOffsetTimestamps.LATEST, isolationLevel }),
        base.timeout * 2,
        'reading high watermarks',
      );
      const out: TopicPartitionOffset[] = [];
      for (const [topic, partitions] of hwm) {
        partitions.forEach((offset, partition) => out.push({ topic, partition, offset }));
      }
      return out;
    },
    async close() {
      await shutdown(true);
      settle?.resolve();
    },
  };
}
