// The dead-letter record: the original key, value and headers, plus headers that say where it came from and
// why it failed, so an operator (or a replay tool) can act on it without the original topic.
import type { IncomingRecord, OutgoingRecord } from './bus.ts';

export const DLQ_HEADERS = {
  topic: 'sluice.dlq.topic',
  partition: 'sluice.dlq.partition',
  offset: 'sluice.dlq.offset',
  timestamp: 'sluice.dlq.timestamp',
  group: 'sluice.dlq.group',
  error: 'sluice.dlq.error',
  attempts: 'sluice.dlq.attempts',
  /** Present ("1") when the original value was null (a tombstone): the dead-letter value is then empty. */
  nullValue: 'sluice.dlq.null-value',
} as const;

/** Longest error text kept in the header: a stack-sized message must not make the record too large. */
const MAX_ERROR_CHARS = 4096;

export function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

export function deadLetterRecord(
  deadLetterTopic: string,
  group: string,
  record: IncomingRecord,
  error: unknown,
  attempts: number,
): OutgoingRecord {
  // The original headers first, so ours win should a producer have used the same names.
  const headers: Record<string, Buffer> = Object.fromEntries(record.headers);
  headers[DLQ_HEADERS.topic] = Buffer.from(record.topic);
  headers[DLQ_HEADERS.partition] = Buffer.from(String(record.partition));
  headers[DLQ_HEADERS.offset] = Buffer.from(String(record.offset));
  headers[DLQ_HEADERS.timestamp] = Buffer.from(String(record.timestamp));
  headers[DLQ_HEADERS.group] = Buffer.from(group);
  headers[DLQ_HEADERS.error] = Buffer.from(describeError(error));
  headers[DLQ_HEADERS.attempts] = Buffer.from(String(attempts));
  if (record.value === null) headers[DLQ_HEADERS.nullValue] = Buffer.from('1');
  return {
    topic: deadLetterTopic,
    key: record.key,
    value: record.value ?? Buffer.alloc(0),
    headers,
  };
}
