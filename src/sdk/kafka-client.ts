// The SDK's only door to a Kafka-protocol bus: everything else in src/sdk talks to these interfaces, never to
// @platformatic/kafka, so the client library can change without touching the publisher or the consumer runner.
// The code lives in src/sdk/kafka/ by concern (client-options, errors, producer, admin, consumer,
// transactional-producer; platformatic.ts is the one module importing the client library); this module
// re-exports what the rest of the SDK and the services use.
//
// Contract, in short:
// - Producer: `createBusProducer` never throws or blocks for bus trouble (the client connects lazily);
//   `send()` settles within `requestTimeoutMs` (+ a little) whatever the bus does — it resolves once the bus
//   acknowledged every record (per `acks`), or rejects with a `BusError`. A rejected send may still have
//   been written (the bus can answer after our deadline): callers that retry get at-least-once.
// - Consumer: see `BusConsumer` in kafka/consumer-types.ts (per-partition ordered batches, backpressure,
//   manual commits only, start offsets chosen on assignment).
// - Admin: `createTopics` is "ensure": a topic that already exists is not an error.
// - Every failure from the client library surfaces as a `BusError` whose message walks platformatic's
//   nested errors (PLT_KFK_MULTIPLE → errors[] / cause → ECONNREFUSED) into one line.
export { BusError, describeError } from './kafka/errors.ts';
export type { BusConfig } from './kafka/client-options.ts';
export {
  createBusProducer,
  type BusProducer,
  type BusProducerOptions,
  type OutgoingRecord,
  type SealedBatch,
} from './kafka/producer.ts';
export { createBusAdmin, type BusAdmin } from './kafka/admin.ts';
export type {
  BusConsumer,
  BusConsumerHandlers,
  BusConsumerOptions,
  IncomingRecord,
  TopicPartition,
  TopicPartitionOffset,
} from './kafka/consumer-types.ts';
export { createBusConsumer } from './kafka/consumer.ts';
export {
  createTransactionalProducer,
  type BusTransactionalProducer,
} from './kafka/transactional-producer.ts';
