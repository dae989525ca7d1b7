// The resilient publisher's public surface.
export { Publisher } from './publisher.ts';
export type { DropReason, PublishResult, PublisherState } from './publisher.ts';
export type { BufferOptions, PublisherOptions, Transport, WhenFull } from './options.ts';
export type { BreakerSettings, BreakerState, BreakerTransition } from './breaker.ts';
export type { Clock, Timer } from './clock.ts';
export type { QuarantineReport } from './disk-store.ts';
export type { BufferedRecord } from './store.ts';
export { recordBytes } from './store.ts';
export {
  FlushTimeoutError,
  PublisherError,
  PublisherOptionsError,
  RecordTooLargeError,
  SendTimeoutError,
} from './errors.ts';
