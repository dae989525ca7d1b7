// Sending one sealed batch to the bus, for the publisher's send loop: the bus producer (made on first use,
// replaced when a send hangs), a deadline per send, and the split of a batch sealed before the topic's
// partition count was known. Failures are answered as `false`, never thrown: the loop counts them for the
// breaker and sends the same batch again later.
import type { Logger } from 'pino';
import { createBusProducer } from '../kafka-client.ts';
import type { BusProducer, SealedBatch } from '../kafka-client.ts';
import type { Clock, Timer } from './clock.ts';
import { SendTimeoutError } from './errors.ts';
import type { PublisherOptions } from './options.ts';
import { batchRecords, splitBatch } from './split-batch.ts';

export class BatchDelivery {
  readonly #o: PublisherOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  #producer: BusProducer | undefined;
  /** Batches a send failed for: a late copy of their request may still be queued, so never reused. */
  readonly #failed = new WeakSet<SealedBatch>();
  /** Parts of a partition -1 batch split for sending, not yet acknowledged. */
  readonly #parts = new WeakMap<SealedBatch, SealedBatch[]>();

  constructor(o: PublisherOptions, clock: Clock, log: Logger) {
    this.#o = o;
    this.#clock = clock;
    this.#log = log;
  }

  /** The bus producer, once made (for what it knows of the topic's partitions). */
  get producer(): BusProducer | undefined {
    return this.#producer;
  }

  /** Makes the producer now and asks for the topic's partitions, so batches are sealed per partition early. */
  start(): void {
    try {
      this.#producer = this.#makeProducer();
      this.#producer.partitions?.(this.#o.topic).catch(() => undefined);
    } catch (err) {
      this.#log.debug({ err: err instanceof Error ? err.message : String(err) }, 'bus producer not made yet');
    }
  }

  /** Whether a send of this batch ever failed (its buffer must not be reused). */
  failedOnce(batch: SealedBatch): boolean {
    return this.#failed.has(batch);
  }

  /** Sends the batch; true once the bus acknowledged it, false on any failure or after sendTimeoutMs. */
  async send(batch: SealedBatch): Promise<boolean> {
    const { topic } = this.#o;
    let timer: Timer | undefined;
    try {
      this.#producer ??= this.#makeProducer();
      const producer = this.#producer;
      const timeoutMs = this.#o.sendTimeoutMs ?? 2 * (this.#o.bus.requestTimeoutMs ?? 15_000);
      const late = new Promise<never>((_, reject) => {
        timer = this.#clock.setTimer(() => {
          // A hung producer is replaced: the next attempt gets a fresh connection.
          if (this.#producer === producer) this.#producer = undefined;
          producer.close().catch(() => undefined);
          reject(new SendTimeoutError(`send of ${batch.records} records timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      });
      await Promise.race([this.#deliver(producer, topic, batch), late]);
      return true;
    } catch (err) {
      this.#failed.add(batch);
      this.#log.debug({ err: err instanceof Error ? err.message : String(err) }, 'send failed');
      return false;
    } finally {
      timer?.cancel();
    }
  }

  /** Closes the producer, if one was made; the caller bounds how long it waits. */
  close(): Promise<void> | undefined {
    const producer = this.#producer;
    this.#producer = undefined;
    return producer?.close();
  }

  #makeProducer(): BusProducer {
    return (this.#o.transport ?? createBusProducer)(this.#o.bus, {
      acks: this.#o.acks,
      idempotent: this.#o.idempotent,
      ...(this.#o.compression ? { compression: this.#o.compression } : {}),
    });
  }

  async #deliver(producer: BusProducer, topic: string, batch: SealedBatch): Promise<void> {
    if (!producer.sendBatch) {
      await producer.send(batchRecords(batch).map((r) => ({ topic, ...r })));
      return;
    }
    if (batch.partition < 0) {
      const count = (await producer.partitions?.(topic)) ?? 1;
      if (count === 1) batch.partition = 0;
      else {
        let parts = this.#parts.get(batch);
        if (parts === undefined) {
          parts = splitBatch(batch, count, this.#o.compression ?? 'none');
          this.#parts.set(batch, parts);
        }
        while (parts.length > 0) {
          await producer.sendBatch(topic, parts[0]);
          parts.shift();
        }
        return;
      }
    }
    await producer.sendBatch(topic, batch);
  }
}
