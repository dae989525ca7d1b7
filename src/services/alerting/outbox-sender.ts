// Sends the outbox after each commit: every unsent notification, oldest first, to its receiver (a webhook
// URL, or `console` = the log), then marks it sent. A crash between the send and the mark sends it again
// after the restart with the same idempotency key: receivers dedupe by that key. A webhook that fails is
// retried with capped exponential back-off; the other receivers go on.
import type { DatabaseSync } from 'node:sqlite';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { AlertingFaults } from './faults.ts';
import { unsentOutbox, type OutboxEntry } from './store.ts';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

export interface OutboxSenderOptions {
  /** A connection that sees committed rows only (not the consumer's open transaction). */
  reader: DatabaseSync;
  /** Runs a write in a transaction of its own on the sink's connection, queued with the consumer's. */
  write: (work: (db: DatabaseSync) => void) => Promise<void>;
  logger: Logger;
  sent: Counter<'receiver' | 'outcome'>;
  faults: AlertingFaults;
  timeoutMs?: number;
}

export class OutboxSender {
  readonly #o: OutboxSenderOptions;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  /** Receiver → when it may be tried again, and how many failures in a row. */
  readonly #backoff = new Map<string, { until: number; failures: number }>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: OutboxSenderOptions) {
    this.#o = options;
  }

  /** Sends what is unsent (now, or after the pass in progress). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#pass().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.kick();
      }
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  async #pass(): Promise<void> {
    for (;;) {
      const entries = unsentOutbox(this.#o.reader).filter(
        (e) => (this.#backoff.get(e.receiver)?.until ?? 0) <= Date.now(),
      );
      if (entries.length === 0 || this.#stopped) break;
      const failed = new Set<string>();
      for (const entry of entries) {
        if (this.#stopped) return;
        if (failed.has(entry.receiver)) continue; // keep each receiver's order
        if (await this.#send(entry)) {
          this.#backoff.delete(entry.receiver);
          if (entry.receiver !== 'console') this.#o.faults.afterSend();
          await this.#o.write(
            (db) =>
              void db
                .prepare('UPDATE alerting_outbox SET sent_at = ? WHERE id = ?')
                .run(Date.now(), entry.id),
          );
        } else {
          failed.add(entry.receiver);
          const failures = (this.#backoff.get(entry.receiver)?.failures ?? 0) + 1;
          const delay = Math.min(30_000, 250 * 2 ** (failures - 1));
          this.#backoff.set(entry.receiver, { until: Date.now() + delay, failures });
          clearTimeout(this.#timer);
          this.#timer = setTimeout(() => this.kick(), delay);
          this.#timer.unref();
        }
      }
      if (failed.size > 0 && entries.every((e) => failed.has(e.receiver))) break;
    }
  }

  async #send(entry: OutboxEntry): Promise<boolean> {
    const { logger, sent } = this.#o;
    if (entry.receiver === 'console') {
      logger.info(
        { notification: JSON.parse(entry.payload) as unknown, idempotencyKey: entry.key },
        'alert notification',
      );
      sent.inc({ receiver: 'console', outcome: 'sent' });
      return true;
    }
    try {
      const res = await fetch(entry.receiver, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [IDEMPOTENCY_HEADER]: entry.key },
        body: entry.payload,
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer();
      if (res.ok) {
        sent.inc({ receiver: entry.receiver, outcome: 'sent' });
        return true;
      }
      logger.warn(
        { receiver: entry.receiver, status: res.status, idempotencyKey: entry.key },
        'webhook refused the notification; retrying',
      );
    } catch (error) {
      logger.warn(
        { receiver: entry.receiver, err: (error as Error).message, idempotencyKey: entry.key },
        'webhook unreachable; retrying',
      );
    }
    sent.inc({ receiver: entry.receiver, outcome: 'failed' });
    return false;
  }
}
