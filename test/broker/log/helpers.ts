// Shared helpers of the partition log tests: a fresh temporary directory per test, batches built with the
// protocol module, and waiting on conditions (never on fixed sleeps).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { buildRecordBatch, readBatchHeader, splitBatches } from '../../../src/protocol/record-batch.ts';
import type { RecordBatchHeader } from '../../../src/protocol/record-batch.ts';

/** A fresh directory removed after the test. It is registered first, so it may run before a log's close():
 *  retries let a closed segment's background sync (none/interval mode) finish writing its index files. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-log-'));
  t.after(() => rm(dir, { recursive: true, force: true, maxRetries: 5 }));
  return dir;
}

/** A batch of `count` records whose values name their batch, with the given timestamp. */
export function batch(tag: string, count = 1, timestamp = 1_000n, valueBytes = 10): Buffer {
  const pad = 'x'.repeat(Math.max(0, valueBytes - tag.length));
  return buildRecordBatch({
    records: Array.from({ length: count }, (_, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`${tag}:${i}:${pad}`),
      timestamp: timestamp + BigInt(i),
    })),
  });
}

export interface StoredBatch {
  header: RecordBatchHeader;
  bytes: Buffer;
}

/** The batches of a read's records buffer. */
export function batchesOf(records: Buffer): StoredBatch[] {
  return [...splitBatches(records)].map(({ offset, size }) => ({
    header: readBatchHeader(records, offset),
    bytes: records.subarray(offset, offset + size),
  }));
}

/** Polls `condition` until it holds; fails after a generous deadline. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

export const partitionDir = (root: string) => join(root, 'topic-0');

/** Polls an asynchronous condition until it holds. */
export async function waitFor(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

export interface LogLine {
  level: string;
  obj: Record<string, unknown>;
  msg?: string;
}

/** A pino-compatible logger that keeps what it is told. */
export function captureLogger() {
  const lines: LogLine[] = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    lines.push({ level, obj: obj as Record<string, unknown>, msg });
  };
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}
