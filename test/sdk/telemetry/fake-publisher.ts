// A publisher stand-in at the telemetry/publisher seam: records what it is given, or fails on demand the
// ways a publisher in trouble could (throwing, rejecting, dropping, blocking).
import type {
  OutgoingTelemetryRecord,
  PublishResult,
  TelemetryPublisher,
} from '../../../src/sdk/telemetry/publisher-port.ts';

export type FakeMode = 'accept' | 'drop' | 'throw' | 'reject' | 'block';

export class FakePublisher implements TelemetryPublisher {
  readonly records: OutgoingTelemetryRecord[] = [];
  mode: FakeMode = 'accept';
  /** flush/close never settle when true (a publisher stuck on a dead bus). */
  hang = false;
  closed = false;
  /** Records close() gives up on, counted as dropped 'closed' like the real publisher's memory buffer. */
  leaveOnClose = 0;
  readonly state = { bufferedRecords: 0, dropped: {} as Record<string, number> };
  readonly #blocked: Array<() => void> = [];

  publish(record: OutgoingTelemetryRecord): PublishResult {
    switch (this.mode) {
      case 'accept':
        this.records.push(record);
        return 'accepted';
      case 'drop':
        return 'dropped';
      case 'throw':
        throw new Error('bus is down (thrown)');
      case 'reject':
        return Promise.reject(new Error('bus is down (rejected)'));
      case 'block':
        return new Promise<void>((resolve) => {
          this.#blocked.push(() => {
            this.records.push(record);
            resolve();
          });
        });
    }
  }

  /** Releases every publish waiting on a full buffer. */
  unblock(): void {
    for (const release of this.#blocked.splice(0)) release();
  }

  flush(_timeoutMs: number): Promise<void> {
    if (this.hang) return new Promise(() => {});
    if (this.mode === 'throw' || this.mode === 'reject')
      return Promise.reject(new Error('flush failed: bus is down'));
    return Promise.resolve();
  }

  close(timeoutMs: number): Promise<void> {
    this.closed = true;
    if (this.leaveOnClose > 0) {
      this.state.dropped.closed = (this.state.dropped.closed ?? 0) + this.leaveOnClose;
      return Promise.resolve();
    }
    return this.flush(timeoutMs);
  }
}

/** An openPublisher that hands out one FakePublisher per stream and keeps them for inspection. */
export function fakeFactory(): {
  open: (stream: string) => Promise<FakePublisher>;
  publishers: Map<string, FakePublisher>;
} {
  const publishers = new Map<string, FakePublisher>();
  return {
    publishers,
    open: (stream: string) => {
      const publisher = new FakePublisher();
      publishers.set(stream, publisher);
      return Promise.resolve(publisher);
    },
  };
}
