// Starts an Apache Kafka cluster on loopback by hand, for trying clients or benchmarks against it:
//
//   npm exec -- node scripts/kafka/start.ts [--brokers 1|3] [--set key=value]...
//
// Prints the bootstrap servers, then runs until Ctrl-C (or SIGTERM), when it kills the brokers and
// removes their data.
import { parseArgs } from 'node:util';
import { startKafkaCluster } from './cluster.ts';
import type { KafkaSettings } from './config.ts';

function settings(pairs: string[]): KafkaSettings {
  const out: KafkaSettings = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--set takes key=value, got "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

try {
  const { values } = parseArgs({
    options: {
      brokers: { type: 'string', default: '1' },
      set: { type: 'string', multiple: true, default: [] },
    },
  });
  const brokers = Number(values.brokers);
  if (brokers !== 1 && brokers !== 3) throw new Error(`--brokers must be 1 or 3, got "${values.brokers}"`);
  const started = performance.now();
  const cluster = await startKafkaCluster({
    brokers,
    config: settings(values.set),
    log: (line) => console.error(line),
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`Apache Kafka ${cluster.version}, ${brokers} node(s), serving after ${seconds} s`);
  for (const b of cluster.brokers)
    console.log(`  node ${b.nodeId}: 127.0.0.1:${b.port} pid ${b.pid} ${b.dir}`);
  console.log(`bootstrap: ${cluster.bootstrap}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await cluster.stop();
} catch (err) {
  console.error(`kafka start: ${(err as Error).message}`);
  process.exitCode = 1;
}
