// Consume catch-up the way an application consumes: one @platformatic/kafka Consumer joins a fresh consumer
// group, `consume()` from the earliest offset, and iterates the MessagesStream until every record has come.
// The time includes finding the coordinator and joining the group; offsets are not committed.
import { Consumer, MessagesStreamModes } from '@platformatic/kafka';
import type { ConsumeCatchupOptions, ConsumeCatchupResult } from './consume-catchup.ts';
import { errorMessage } from './errors.ts';

const REQUEST_TIMEOUT_MS = 120_000;

export async function runStreamConsume(options: ConsumeCatchupOptions): Promise<ConsumeCatchupResult> {
  const consumer = new Consumer({
    clientId: `bench-${options.label}-consumer`,
    groupId: `bench-${options.label}-${process.pid}-${Date.now()}`,
    bootstrapBrokers: [options.bootstrap],
    autocreateTopics: false,
    timeout: REQUEST_TIMEOUT_MS,
  });
  try {
    let records = 0;
    let bytes = 0;
    let fetches = 0;
    const started = performance.now();
    const stream = await consumer.consume({
      topics: [options.topic],
      mode: MessagesStreamModes.EARLIEST,
      autocommit: false,
      minBytes: 1,
      maxWaitTime: 500,
      maxBytes: options.fetchMaxBytes,
      maxBytesPerPartition: options.partitionMaxBytes,
    });
    stream.on('fetch', () => fetches++);
    try {
      for await (const message of stream) {
        bytes += message.value?.length ?? 0;
        if (++records >= options.expectedRecords) break;
      }
    } finally {
      await stream.close();
    }
    const durationMs = performance.now() - started;
    if (records !== options.expectedRecords) {
      throw new Error(`the stream ended after ${records} records, expected ${options.expectedRecords}`);
    }
    return {
      records,
      bytes,
      fetches,
      durationMs,
      recordsPerSec: records / (durationMs / 1000),
      bytesPerSec: bytes / (durationMs / 1000),
    };
  } catch (err) {
    throw new Error(`consume (group stream) of ${options.topic}: ${errorMessage(err)}`, { cause: err });
  } finally {
    await consumer.close(true);
  }
}
