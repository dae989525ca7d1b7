// effectively-once into Kafka itself (consume-transform-produce): the handler produces its output through
// the sink's context, and the output and the consumed offsets are committed in one Kafka transaction, so a
// downstream read_committed consumer sees each input's output exactly once, even across crashes.
//
// The handler's records are buffered for the runner's transaction (savepoints truncate the buffer, so a
// failed attempt leaves nothing behind) and the Kafka transaction runs only at commit: begin, produce, the
// group's next offsets, commit; a failure aborts it and nothing of the batch is visible. The offsets are the
// consumer group's own committed offsets, so the runner resumes where the last transaction left off.
import {
  BusError,
  createTransactionalProducer,
  type BusConfig,
  type BusTransactionalProducer,
  type OutgoingRecord,
} from '../kafka-client.ts';
import type { TopicPartition, TopicPartitionOffset } from './bus.ts';
import { SinkError, type SinkTransaction, type TransactionalSink } from './types.ts';

/** What the handler gets as `context.tx`. */
export interface KafkaTransactionContext {
  /** Adds records to this transaction's output (sent when it commits). */
  send(records: OutgoingRecord | OutgoingRecord[]): void;
}

export interface KafkaTransactionSinkOptions {
  /** The bus the output goes to: the one consumed from (its group holds the offsets). */
  bus: BusConfig;
  /**
   * Stable per consumer instance and unique among live ones: a restarted instance with the same id fences
   * the old one (its unfinished transaction is aborted, its later commits refused).
   */
  transactionalId: string;
  /** Seam for tests: the transactional producer (default the real one of src/sdk/kafka-client.ts). */
  createProducer?: (bus: BusConfig, options: { transactionalId: string }) => BusTransactionalProducer;
}

export class KafkaTransactionSink implements TransactionalSink<KafkaTransactionContext> {
  readonly kind = 'kafka-transactions';
  readonly #options: KafkaTransactionSinkOptions;
  #producer: BusTransactionalProducer | undefined;

  constructor(options: KafkaTransactionSinkOptions) {
    if (typeof options?.transactionalId !== 'string' || options.transactionalId.trim() === '') {
      throw new SinkError(
        `kafkaTransactionSink needs a transactionalId (a non-empty string), got ${JSON.stringify(options?.transactionalId)}`,
      );
    }
    this.#options = options;
  }

  #bus(): BusTransactionalProducer {
    this.#producer ??= (this.#options.createProducer ?? createTransactionalProducer)(this.#options.bus, {
      transactionalId: this.#options.transactionalId,
    });
    return this.#producer;
  }

  init(): Promise<void> {
    this.#bus(); // validates the bus settings now, not at the first record
    return Promise.resolve();
  }

  readOffsets(group: string, partitions: TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return this.#bus().committedOffsets(group, partitions);
  }

  async transaction<T>(work: (tx: SinkTransaction<KafkaTransactionContext>) => Promise<T>): Promise<T> {
    const output: OutgoingRecord[] = [];
    const savepoints = new Map<string, number>();
    const offsets = new Map<string, TopicPartitionOffset>();
    let group: string | undefined;
    const tx: SinkTransaction<KafkaTransactionContext> = {
      context: {
        send(records) {
          output.push(...(Array.isArray(records) ? records : [records]));
        },
      },
      savepoint(name) {
        savepoints.set(name, output.length);
        return Promise.resolve();
      },
      rollbackTo(name) {
        const at = savepoints.get(name);
        if (at === undefined) return Promise.reject(new SinkError(`no savepoint ${JSON.stringify(name)}`));
        output.length = at;
        return Promise.resolve();
      },
      release(name) {
        savepoints.delete(name);
        return Promise.resolve();
      },
      storeOffsets(g, stored) {
        if (group !== undefined && group !== g)
          return Promise.reject(
            new SinkError(`one transaction stores the offsets of one group, got ${group} and ${g}`),
          );
        group = g;
        for (const o of stored) offsets.set(`${o.topic}:${o.partition}`, o);
        return Promise.resolve();
      },
    };
    const result = await work(tx);
    if (output.length > 0 || offsets.size > 0) {
      await this.#bus()
        .commit(output, group ?? '', [...offsets.values()])
        .catch((error: unknown) => {
          throw error instanceof BusError ? error : BusError.from('Kafka transaction', error);
        });
    }
    return result;
  }

  async close(): Promise<void> {
    await this.#producer?.close();
  }
}

export function kafkaTransactionSink(options: KafkaTransactionSinkOptions): KafkaTransactionSink {
  return new KafkaTransactionSink(options);
}
