// The SDK's public surface. Each section belongs to the module it re-exports; add yours as a section.

// Telemetry: the producer-side API, the wire format and gap detection for consumers.
export {
  createTelemetry,
  DEFAULT_BREAKER,
  DEFAULT_BUFFER,
  DEFAULT_STREAM,
  resolveStreamOptions,
  type CreateTelemetryOptions,
  type StreamOptions,
} from './telemetry/create.ts';
export {
  openTelemetry,
  type DrainReport,
  type EventEmitterApi,
  type LogsApi,
  type MetricsApi,
  type PublishOutcome,
  type StreamDrain,
  type StreamStats,
  type Telemetry,
  type TelemetryOptions,
} from './telemetry/telemetry.ts';
export { DEFAULT_BOUNDARIES, OVERFLOW_ATTRIBUTES, type InstrumentOptions } from './telemetry/aggregator.ts';
export {
  CONTENT_TYPE,
  decodeEnvelope,
  encodeEnvelope,
  ENVELOPE_VERSION,
  envelopeHeaders,
  HEADER_CONTENT_TYPE,
  HEADER_PRODUCER,
  HEADER_SEQUENCE,
  HEADER_STREAM,
  LOG_LEVELS,
  seriesKey,
  type Envelope,
  type EventEnvelope,
  type EventRecord,
  type GaugePoint,
  type HistogramPoint,
  type LogEnvelope,
  type LogLevel,
  type LogRecord,
  type MetricEnvelope,
  type MetricPoint,
  type SumPoint,
} from './telemetry/envelope.ts';
export {
  EnvelopeDecodeError,
  TelemetryConfigError,
  TelemetryValidationError,
  type EnvelopeDecodeErrorCode,
} from './telemetry/errors.ts';
export { GapDetector, type Observation, type ScopeReport } from './telemetry/gaps.ts';
export type {
  OpenPublisher,
  OutgoingTelemetryRecord,
  TelemetryPublisher,
} from './telemetry/publisher-port.ts';
export type { AttributeValue, Attributes, JsonValue } from './telemetry/validate.ts';

// Publisher: batching, circuit breaker, memory/disk buffers and loss accounting, per stream.
export * from './publisher/index.ts';

// Consumer: consume() with at-most-once / at-least-once / effectively-once, retries, dead letters, lag.
export * from './consumer/index.ts';
