// Kafka transactions: exactly-once consume-transform-produce (consumer/kafka-transaction-sink.ts).
import { clientOptions, withDeadline, type BusConfig } from './client-options.ts';
import type { TopicPartition, TopicPartitionOffset } from './consumer-types.ts';
import { BusError } from './errors.ts';
import { Admin, Producer, type Consumer, type Message } from './platformatic.ts';
import type { OutgoingRecord } from './producer.ts';

export interface BusTransactionalProducer {
  /**
   * One Kafka transaction: `records` are produced and `offsets` become `group`'s committed offsets
   * together, or neither (aborted on any failure, then rejects with a BusError). One at a time.
   */
  commit(records: OutgoingRecord[], group: string, offsets: TopicPartitionOffset[]): Promise<void>;
  /**
   * `group`'s committed offsets of these partitions (those it has), waiting out transactions that are
   * still committing offsets (OffsetFetch require_stable).
   */
  committedOffsets(group: string, partitions: TopicPartition[]): Promise<TopicPartitionOffset[]>;
  close(): Promise<void>;
}

/**
 * A transactional producer (`transactionalId`: stable per consumer instance; starting a second one with the
 * same id fences the first). Its transaction timeout is the request timeout (platformatic's choice).
 */
export function createTransactionalProducer(
  bus: BusConfig,
  options: { transactionalId: string },
): BusTransactionalProducer {
  if (typeof options.transactionalId !== 'string' || options.transactionalId.trim() === '') {
    throw new TypeError(
      `transactionalId must be a non-empty string, got ${JSON.stringify(options.transactionalId)}`,
    );
  }
  const base = clientOptions(bus, 'transactional-producer');
  // More retries than other clients: a Kafka cluster answers InitProducerId with NOT_COORDINATOR and
  // COORDINATOR_LOAD_IN_PROGRESS for a while after its first transactional client creates __transaction_state.
  const producer = new Producer({
    ...base,
    retries: 10,
    idempotent: true,
    transactionalId: options.transactionalId,
  });
  const admin = new Admin(base);
  const deadlineMs = base.timeout * 3;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  async function transact(records: OutgoingRecord[], group: string, offsets: TopicPartitionOffset[]) {
    const txn = await producer.beginTransaction();
    try {
      if (records.length > 0) {
        await txn.send({
          messages: records.map((r) => ({
            topic: r.topic,
            key: r.key ?? undefined,
            value: r.value,
            headers: new Map(Object.entries(r.headers).map(([k, v]) => [Buffer.from(k), v])),
            ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
          })),
        });
      }
      if (offsets.length > 0) {
        // platformatic commits a transaction's offsets through a consumer and its messages; without the
        // consumer's member id and generation (-1, "") the broker checks no membership, as for kafkajs's
        // sendOffsets: zombies are fenced by the transactional id, not by the group generation.
        const [coordinator] = await admin.findCoordinator({ keyType: 0, keys: [group] });
        const consumer = {
          groupId: group,
          generationId: -1,
          memberId: '',
          coordinatorId: coordinator.nodeId,
        };
        await txn.addConsumer(consumer as unknown as Consumer);
        for (const o of offsets) {
          // addOffset commits the message's offset + 1.
          const message = {
            topic: o.topic,
            partition: o.partition,
            offset: o.offset - 1n,
            metadata: { consumer },
          };
          await txn.addOffset(message as unknown as Message);
        }
      }
      await txn.commit();
    } catch (error) {
      await txn.abort().catch(() => undefined);
      throw error;
    }
  }

  return {
    commit(records, group, offsets) {
      if (closed) return Promise.reject(new BusError('commit after close', { retriable: false }));
      const run = queue.then(() =>
        withDeadline(
          transact(records, group, offsets),
          deadlineMs,
          `a transaction of ${records.length} record(s)`,
        ),
      );
      queue = run.catch(() => undefined);
      return run.catch((error: unknown) => {
        throw BusError.from('Kafka transaction', error);
      });
    },
    async committedOffsets(group, partitions) {
      if (partitions.length === 0) return [];
      const byTopic = new Map<string, number[]>();
      for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
      const request = {
        groups: [
          { groupId: group, topics: [...byTopic].map(([name, ps]) => ({ name, partitionIndexes: ps })) },
        ],
        requireStable: true,
      };
      // UNSTABLE_OFFSET_COMMIT (a transaction still committing offsets) is retriable: ask again, briefly.
      const started = Date.now();
      let found: Awaited<ReturnType<typeof admin.listConsumerGroupOffsets>>[number] | undefined;
      for (;;) {
        try {
          [found] = await withDeadline(
            admin.listConsumerGroupOffsets(request),
            base.timeout,
            `reading the committed offsets of group ${group}`,
          );
          break;
        } catch (error) {
          const failure = BusError.from('reading committed offsets', error);
          if (!failure.retriable || Date.now() - started > deadlineMs) throw failure;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      const out: TopicPartitionOffset[] = [];
      for (const topic of found?.topics ?? []) {
        for (const p of topic.partitions) {
          if (p.committedOffset >= 0n)
            out.push({ topic: topic.name, partition: p.partitionIndex, offset: p.committedOffset });
        }
      }
      return out;
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      await withDeadline(producer.close(true), base.timeout, 'closing the producer').catch(() => undefined);
      await withDeadline(admin.close(), base.timeout, 'closing the admin client').catch(() => undefined);
    },
  };
}
