// What telemetry needs from a publisher: the seam between this module and src/sdk/publisher. Tests plug
// a fake in here; createTelemetry plugs in the real Publisher.
import type { PreparedRecord } from '../publisher/record-encoding.ts';

export interface OutgoingTelemetryRecord {
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, Buffer>;
}

/** 'accepted' (buffered), 'dropped' (counted by the publisher), or a promise when the buffer blocks. */
export type PublishResult = 'accepted' | 'dropped' | Promise<void>;

export interface TelemetryPublisher {
  /** Synchronous; may return a promise only for backpressure (whenFull: block). */
  publish(record: OutgoingTelemetryRecord): PublishResult;
  /**
   * The same record as text with pre-encoded headers (no Buffers made per call), when the publisher takes
   * it (the real Publisher does): the envelope goes straight into the batch.
   */
  publishPrepared?(record: PreparedRecord): PublishResult;
  flush(timeoutMs: number): Promise<void>;
  close(timeoutMs: number): Promise<void>;
  /** When present, flush/close reports say what was left behind (the real Publisher has it). */
  readonly state?: { bufferedRecords: number; dropped: Record<string, number> };
}

/** Opens the publisher of one stream, given that stream's options from createTelemetry. */
export type OpenPublisher<S> = (stream: string, options: S) => Promise<TelemetryPublisher>;
