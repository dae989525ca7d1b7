// Fakes at the consumer runner's seams: a BusConsumer the test drives batch by batch, a BusProducer that
// keeps what it was sent, and an in-memory sink. All of them append to one event log, so a test can assert
// the order of commits, handler calls and transaction steps.
import type {
  BusConsumer,
  BusConsumerHandlers,
  BusProducer,
  IncomingRecord,
  OutgoingRecord,
  TopicPartition,
  TopicPartitionOffset,
} from '../../../src/sdk/consumer/bus.ts';
import type { SinkTransaction, TransactionalSink } from '../../../src/sdk/consumer/types.ts';

export type Events = string[];

export function record(
  partition: number,
  offset: number,
  value = `v${offset}`,
  timestamp = 1_000,
): IncomingRecord {
  return {
    topic: 't',
    partition,
    offset: BigInt(offset),
    key: Buffer.from(`k${offset}`),
    value: Buffer.from(value),
    headers: new Map([['h', Buffer.from('x')]]),
    timestamp: BigInt(timestamp),
  };
}

export function records(partition: number, from: number, to: number): IncomingRecord[] {
  return Array.from({ length: to - from }, (_, i) => record(partition, from + i));
}

export class FakeBusConsumer implements BusConsumer {
  handlers: BusConsumerHandlers | undefined;
  closed = false;
  failCommits = 0;
  /** What a failing commit rejects with (default a plain Error). */
  commitError: Error | undefined;
  readonly committed: TopicPartitionOffset[] = [];
  hwms: TopicPartitionOffset[] = [];
  readonly events: Events;

  constructor(events: Events) {
    this.events = events;
  }

  /** When set, run() rejects with it at once (a bus still down when the consumer is rebuilt). */
  failRun: Error | undefined;
  #running: { resolve: () => void; reject: (error: unknown) => void } | undefined;

  /** Pending until close() (resolves) or lose() (rejects), like the real consumer's run(). */
  run(handlers: BusConsumerHandlers): Promise<void> {
    this.handlers = handlers;
    if (this.failRun !== undefined) return Promise.reject(this.failRun);
    return new Promise((resolve, reject) => (this.#running = { resolve, reject }));
  }

  /** The bus goes away: run() rejects with `error`. */
  lose(error: unknown): void {
    this.#running?.reject(error);
  }

  commit(offsets: TopicPartitionOffset[]): Promise<void> {
    if (this.failCommits > 0) {
      this.failCommits--;
      this.events.push('commit-failed');
      return Promise.reject(this.commitError ?? new Error('coordinator not available'));
    }
    for (const o of offsets) {
      this.events.push(`commit ${o.partition}@${o.offset}`);
      this.committed.push(o);
    }
    return Promise.resolve();
  }

  highWatermarks(): Promise<TopicPartitionOffset[]> {
    return Promise.resolve(this.hwms);
  }

  close(): Promise<void> {
    this.closed = true;
    this.events.push('close');
    this.#running?.resolve();
    return Promise.resolve();
  }

  async assign(partitions: TopicPartition[]): Promise<TopicPartitionOffset[] | void> {
    return this.handlers!.onAssigned?.(partitions);
  }

  deliver(batch: IncomingRecord[]): Promise<void> {
    return this.handlers!.onBatch(batch);
  }
}

export class FakeProducer implements BusProducer {
  readonly sent: OutgoingRecord[] = [];
  failSends = 0;
  closed = false;
  readonly events: Events;

  constructor(events: Events) {
    this.events = events;
  }

  send(batch: OutgoingRecord[]): Promise<void> {
    if (this.failSends > 0) {
      this.failSends--;
      this.events.push('dlq-send-failed');
      return Promise.reject(new Error('bus down'));
    }
    for (const r of batch)
      this.events.push(
        `dlq ${r.headers['sluice.dlq.partition'].toString()}@${r.headers['sluice.dlq.offset'].toString()}`,
      );
    this.sent.push(...batch);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** The transaction context handlers get from the fake sink: writes land only if the transaction commits. */
export interface FakeTx {
  write(value: string): void;
}

export class FakeSink implements TransactionalSink<FakeTx> {
  readonly kind = 'fake';
  readonly rows: string[] = [];
  readonly offsets = new Map<string, bigint>();
  failCommit = false;
  readonly events: Events;

  constructor(events: Events) {
    this.events = events;
  }

  init(): Promise<void> {
    return Promise.resolve();
  }

  readOffsets(group: string, partitions: TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return Promise.resolve(
      partitions.flatMap(({ topic, partition }) => {
        const offset = this.offsets.get(`${group}/${topic}/${partition}`);
        return offset === undefined ? [] : [{ topic, partition, offset }];
      }),
    );
  }

  async transaction<T>(work: (tx: SinkTransaction<FakeTx>) => Promise<T>): Promise<T> {
    const pending: string[] = [];
    const pendingOffsets = new Map<string, bigint>();
    const marks = new Map<string, number>();
    this.events.push('begin');
    const tx: SinkTransaction<FakeTx> = {
      context: {
        write: (value) => {
          this.events.push(`write ${value}`);
          pending.push(value);
        },
      },
      savepoint: (name) => Promise.resolve(void marks.set(name, pending.length)),
      rollbackTo: (name) => {
        this.events.push('rollback-to-savepoint');
        pending.length = marks.get(name)!;
        return Promise.resolve();
      },
      release: () => Promise.resolve(),
      storeOffsets: (group, offsets) => {
        for (const o of offsets) {
          this.events.push(`store ${o.partition}@${o.offset}`);
          pendingOffsets.set(`${group}/${o.topic}/${o.partition}`, o.offset);
        }
        return Promise.resolve();
      },
    };
    let result: T;
    try {
      result = await work(tx);
      if (this.failCommit) throw new Error('disk I/O error');
    } catch (error) {
      this.events.push('rollback');
      throw error;
    }
    this.rows.push(...pending);
    for (const [k, v] of pendingOffsets) this.offsets.set(k, v);
    this.events.push('commit-tx');
    return result;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
