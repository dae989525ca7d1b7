// A consumer process for the static-membership test in kafka-client.test.ts, SIGKILLed by it:
//   node static-member-child.ts <bootstrap> <topic> <group> <groupInstanceId> <sessionTimeoutMs>
// Commits each batch, then prints "committed <value>" per record.
import { createBusConsumer } from '../../src/sdk/kafka-client.ts';

const [bootstrap, topic, group, groupInstanceId, sessionTimeoutMs] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const consumer = createBusConsumer(
  { bootstrap: [bootstrap] },
  {
    group,
    topics: [topic],
    fromBeginning: true,
    groupInstanceId,
    sessionTimeoutMs: Number(sessionTimeoutMs),
  },
);
await consumer.run({
  async onBatch(records) {
    const last = records.at(-1)!;
    await consumer.commit([{ topic: last.topic, partition: last.partition, offset: last.offset + 1n }]);
    for (const r of records) process.stdout.write(`committed ${r.value?.toString()}\n`);
  },
});
