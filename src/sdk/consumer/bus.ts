// The slice of src/sdk/kafka-client.ts the consumer runner uses (types only: the runner is built and
// unit-tested against fakes of these interfaces).
export type {
  BusConfig,
  BusConsumer,
  BusConsumerHandlers,
  BusConsumerOptions,
  BusProducer,
  BusProducerOptions,
  IncomingRecord,
  OutgoingRecord,
  TopicPartition,
  TopicPartitionOffset,
} from '../kafka-client.ts';
