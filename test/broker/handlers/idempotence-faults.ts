// Helpers of the idempotent-producer fault tests (kafkajs, platformatic, kcat): a fault plan that drops
// the client's connection after a Produce was appended but before its response went out, and what the
// log holds afterwards, batch by batch, read with our own codec.
import type { BrokerFaults, ProduceFaultContext } from '../../../src/broker/faults.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { decodeRecords, readBatchHeader, splitBatches } from '../../../src/protocol/record-batch.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { fetch, fetchRequest } from './data-path.ts';

export interface DropPlan {
  readonly faults: BrokerFaults;
  /** `topic/partition@offset` of every batch whose response was dropped. */
  readonly dropped: string[];
  /**
   * Batches answered again after their response was dropped: a client's retry deduplicated and
   * answered with the original offset (a new append would have had a new offset).
   */
  readonly reanswered: string[];
}

function keysOf(ctx: ProduceFaultContext): string[] {
  return ctx.partitions.map((p) => `${p.topic}/${p.partition}@${p.baseOffset}`);
}

/**
 * Drops the connection after each of the successful produce requests numbered in `which` (1-based,
 * counting in arrival order; an answered retry counts too).
 */
export function dropAfterProduces(which: readonly number[]): DropPlan {
  const dropped: string[] = [];
  const reanswered: string[] = [];
  let succeeded = 0;
  const faults: BrokerFaults = {
    afterProduceAppend(ctx) {
      if (ctx.partitions.some((p) => p.errorCode !== ErrorCode.NONE)) return undefined;
      const keys = keysOf(ctx);
      reanswered.push(...keys.filter((k) => dropped.includes(k)));
      succeeded += 1;
      if (!which.includes(succeeded)) return undefined;
      dropped.push(...keys);
      return 'drop-connection';
    },
  };
  return { faults, dropped, reanswered };
}

export interface StoredRecord {
  offset: bigint;
  value: string;
  producerId: bigint;
  baseSequence: number;
}

/** Every record of a partition, with the producer id and base sequence of its batch. */
export async function storedRecords(port: number, topic: string, partition = 0): Promise<StoredRecord[]> {
  const client = await RawClient.connect(port);
  try {
    const res = await fetch(client, 11, fetchRequest(topic, [{ partition, offset: 0n }]));
    const buf = res.responses[0].partitions[0].records ?? Buffer.alloc(0);
    return [...splitBatches(buf)].flatMap(({ offset }) => {
      const header = readBatchHeader(buf, offset);
      return decodeRecords(buf, offset).map((r) => ({
        offset: r.offset,
        value: r.value?.toString() ?? '',
        producerId: header.producerId,
        baseSequence: header.baseSequence,
      }));
    });
  } finally {
    client.close();
  }
}

/** `promise`, or a failure naming `what` after `ms` (clients that retry forever must not hang a test). */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
