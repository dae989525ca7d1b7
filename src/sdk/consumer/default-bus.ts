// The real bus client behind consume() when no test seam is given.
// TODO(engineer C): bind to src/sdk/kafka-client.ts (createBusConsumer/createBusProducer) once it lands.
import type { BusConfig, BusConsumer, BusConsumerOptions, BusProducer, BusProducerOptions } from './bus.ts';
import { ConsumerConfigError } from './types.ts';

export function defaultCreateConsumer(_bus: BusConfig, _options: BusConsumerOptions): BusConsumer {
  throw new ConsumerConfigError('src/sdk/kafka-client.ts is not available yet: pass createConsumer');
}

export function defaultCreateProducer(_bus: BusConfig, _options: BusProducerOptions): BusProducer {
  throw new ConsumerConfigError('src/sdk/kafka-client.ts is not available yet: pass createProducer');
}
