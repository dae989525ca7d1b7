// The real bus client behind consume() when no test seam is given.
export {
  createBusConsumer as defaultCreateConsumer,
  createBusProducer as defaultCreateProducer,
} from '../kafka-client.ts';
