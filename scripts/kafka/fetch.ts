// `npm run kafka:fetch`: downloads the pinned Apache Kafka release's jars into .cache/kafka/<version>
// (nothing else: CI runs it before the Kafka tests so that a download problem shows as such). A second
// run finds the cache and touches neither Maven nor the network.
import { ensureKafka } from './distribution.ts';

const started = performance.now();
try {
  const dist = await ensureKafka({ log: (line) => console.log(line) });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`Apache Kafka ${dist.version} is in ${dist.home} (${seconds} s; java: ${dist.java})`);
} catch (err) {
  console.error(`kafka:fetch: ${(err as Error).message}`);
  process.exitCode = 1;
}
