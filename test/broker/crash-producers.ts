// The producers of the crash test: kafkajs 2.2.4 clients, each with its own connection and a few
// concurrent send loops, sending small batches with acks=all to explicit partitions and recording every
// acknowledged (partition, offset, value). A condition (enough acks) triggers the kill, so it lands while
// other sends are in flight. Retries are off: after the kill every send fails once and the loops end,
// and no retried send can store a value twice.
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { Prng } from '../helpers/prng.ts';

export interface Ack {
  partition: number;
  offset: bigint;
  value: string;
}

export interface ProducerRunOptions {
  port: number;
  topic: string;
  partitions: number;
  producers: number;
  loopsPerProducer: number;
  /** Prefix of every value, unique per run so values never repeat across runs. */
  tag: string;
  rng: Prng;
  /** Called once, from the ack that brings the count to `killAfterAcks`. */
  killAfterAcks: number;
  kill: () => void;
}

export interface ProducerRunResult {
  acks: Ack[];
  /** Every value handed to a send, acknowledged or not. */
  sent: Set<string>;
  /** Sends that failed (expected after the kill; before it, a failure is a broker bug). */
  failuresBeforeKill: string[];
}

function client(port: number, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
  });
}

/** Runs the producers until the kill; resolves when every loop has stopped and every client is closed. */
export async function runProducersUntilKill(options: ProducerRunOptions): Promise<ProducerRunResult> {
  const { rng, topic, tag } = options;
  const acks: Ack[] = [];
  const sent = new Set<string>();
  const failuresBeforeKill: string[] = [];
  let killed = false;

  const producers: Producer[] = [];
  for (let i = 0; i < options.producers; i++) {
    const producer = client(options.port, `crash-producer-${i}`).producer({
      retry: { retries: 0 },
      idempotent: false,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    producers.push(producer);
  }

  const loop = async (producer: Producer, name: string): Promise<void> => {
    for (let seq = 0; !killed; seq++) {
      const partition = rng.int(0, options.partitions - 1);
      const count = rng.int(1, 4);
      // Varied sizes, so batches straddle nothing in particular and a torn write can land anywhere.
      const values = Array.from(
        { length: count },
        (_, k) => `${tag}/${name}/${seq}/${k}/${'x'.repeat(rng.int(0, 120))}`,
      );
      for (const v of values) sent.add(v);
      let result;
      try {
        result = await producer.send({
          topic,
          acks: -1,
          messages: values.map((value) => ({ partition, value })),
        });
      } catch (err) {
        if (!killed) failuresBeforeKill.push(`${name}: ${(err as Error).message}`);
        return;
      }
      const meta = result.find((r) => r.partition === partition);
      if (!meta || meta.errorCode !== 0 || meta.baseOffset === undefined) {
        failuresBeforeKill.push(`${name}: unexpected produce result ${JSON.stringify(result)}`);
        return;
      }
      const base = BigInt(meta.baseOffset);
      values.forEach((value, k) => acks.push({ partition, offset: base + BigInt(k), value }));
      if (!killed && acks.length >= options.killAfterAcks) {
        killed = true;
        options.kill();
      }
    }
  };

  try {
    await Promise.all(
      producers.flatMap((producer, i) =>
        Array.from({ length: options.loopsPerProducer }, (_, j) => loop(producer, `p${i}l${j}`)),
      ),
    );
  } finally {
    killed = true;
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
  }
  return { acks, sent, failuresBeforeKill };
}
