// For kafka-client-early-close.test.ts: bus consumers closed at every moment of their start-up, one after
// the other, as static members of one group (a restarted service's consumer stopped right away).
//   node early-close-child.ts <bootstrap> <topic> <rounds>
// Prints "closed <n>" at the end and exits by itself: an error event nobody listened to would crash it, and
// a timer left running on a closed client would keep it from exiting.
import { createBusConsumer } from '../../src/sdk/kafka-client.ts';

const [bootstrap, topic, rounds] = process.argv.slice(2) as [string, string, string];
let closed = 0;
for (let i = 0; i < Number(rounds); i++) {
  const consumer = createBusConsumer(
    { bootstrap: [bootstrap] },
    {
      group: 'early-close',
      topics: [topic],
      fromBeginning: true,
      groupInstanceId: 'member',
      heartbeatIntervalMs: 500,
    },
  );
  const run = consumer.run({ onBatch: () => Promise.resolve() });
  // 0 to 117 ms: before, during and after the join.
  await new Promise((resolve) => setTimeout(resolve, (i * 3) % 120));
  await consumer.close();
  await run; // close() ends run(), even during the join
  closed++;
}
process.stdout.write(`closed ${closed}\n`);
