// A consumer-group member in its own process, for the tests that SIGKILL one: kafkajs or
// @platformatic/kafka, joined to a group on one topic, consuming from the earliest offset with automatic
// commits. It prints one JSON line per event on stdout:
//   {"event":"joined"}                                   after each (re)join of the group
//   {"event":"record","partition":0,"offset":"5","value":"…"}  each record consumed
// SIGTERM makes it leave the group cleanly; SIGKILL is the point of running it here.
// Usage: node group-consumer-child.ts '{"client":"kafkajs","bootstrap":"127.0.0.1:9092","groupId":"g","topic":"t"}'
import { Consumer, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';

interface Options {
  client: 'kafkajs' | 'platformatic';
  bootstrap: string;
  groupId: string;
  topic: string;
  clientId?: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options;
const print = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};
const SESSION = { sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 10_000 };

async function runKafkajs(): Promise<() => Promise<void>> {
  const kafka = new Kafka({
    clientId: options.clientId ?? 'child',
    brokers: [options.bootstrap],
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: options.groupId, ...SESSION, maxWaitTimeInMs: 500 });
  consumer.on(consumer.events.GROUP_JOIN, () => print({ event: 'joined' }));
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      print({ event: 'record', partition, offset: message.offset, value: message.value?.toString() });
      return Promise.resolve();
    },
  });
  return () => consumer.disconnect();
}

async function runPlatformatic(): Promise<() => Promise<void>> {
  const consumer = new Consumer({
    clientId: options.clientId ?? 'child',
    groupId: options.groupId,
    bootstrapBrokers: [options.bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 500,
    retries: 5,
    ...SESSION,
  });
  consumer.on('consumer:group:join', () => print({ event: 'joined' }));
  const stream = await consumer.consume({
    topics: [options.topic],
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode: 'earliest',
    autocommit: 200,
  });
  stream.on('data', (message) => {
    print({
      event: 'record',
      partition: message.partition,
      offset: String(message.offset),
      value: message.value,
    });
  });
  return async () => {
    await stream.close();
    await consumer.close();
  };
}

const stop = await (options.client === 'kafkajs' ? runKafkajs() : runPlatformatic());
process.once('SIGTERM', () => {
  stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
