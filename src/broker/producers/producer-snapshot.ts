// The producer-state snapshot written at clean shutdown (`producer-state.json`, in the spirit of Kafka's
// per-partition `.snapshot` files): for each partition, the log end offset it describes and every
// remembered producer's window. It lets a restart remember producers whose last batches are in an older
// segment than the active one (the log-tail scan only reads the active segment). It is derived data: a
// damaged file is reported and ignored, never a reason to refuse to start.
import { join } from 'node:path';
import { z } from 'zod';
import type { LogFs } from '../log/index.ts';
import { readJsonFile, writeJsonFile } from '../log/small-files.ts';
import type { PartitionKey, ProducerStateManager } from './producer-state-manager.ts';
import { ProducerWindow, WINDOW_SIZE } from './producer-window.ts';

export const PRODUCER_SNAPSHOT_FILE = 'producer-state.json';
const FORMAT_VERSION = 1;

const int64 = z.string().regex(/^-?(0|[1-9][0-9]{0,18})$/, 'an integer as a string');
const sequence = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);

const batchSchema = z
  .object({ firstSeq: sequence, lastSeq: sequence, baseOffset: int64, logAppendTime: int64 })
  .strict();
const producerSchema = z
  .object({
    producerId: int64,
    epoch: z.number().int().min(0).max(32767),
    lastSeq: z
      .number()
      .int()
      .min(-1)
      .max(2 ** 31 - 1),
    lastSeenMs: z.number().int(),
    batches: z.array(batchSchema).max(WINDOW_SIZE),
  })
  .strict();
const partitionSchema = z
  .object({ key: z.string().min(1), endOffset: int64, producers: z.array(producerSchema) })
  .strict();
const fileSchema = z
  .object({ formatVersion: z.literal(FORMAT_VERSION), partitions: z.array(partitionSchema) })
  .strict();

type SnapshotFile = z.output<typeof fileSchema>;

/** One partition's producers as of `endOffset`. */
export interface PartitionSnapshot {
  readonly endOffset: bigint;
  readonly producers: ReadonlyMap<bigint, ProducerWindow>;
}

/**
 * The file contents for the given partitions (key → its log end offset now). A partition with an append
 * in flight is left out: its window may claim a batch the log does not hold yet.
 */
export function snapshotOf(
  manager: ProducerStateManager,
  endOffsets: ReadonlyMap<PartitionKey, bigint>,
): SnapshotFile {
  const partitions: SnapshotFile['partitions'] = [];
  for (const [key, endOffset] of endOffsets) {
    const producers = [...manager.producersOf(key)];
    if (producers.length === 0 || producers.some(([, w]) => w.hasAppendsInFlight)) continue;
    partitions.push({
      key,
      endOffset: endOffset.toString(),
      producers: producers.map(([id, w]) => ({
        producerId: id.toString(),
        epoch: w.epoch,
        lastSeq: w.lastSeq,
        lastSeenMs: w.lastSeenMs,
        batches: w.batches.map((b) => ({
          firstSeq: b.firstSeq,
          lastSeq: b.lastSeq,
          baseOffset: b.appendedAt!.baseOffset.toString(),
          logAppendTime: b.appendedAt!.logAppendTime.toString(),
        })),
      })),
    });
  }
  return { formatVersion: FORMAT_VERSION, partitions };
}

export async function writeProducerSnapshot(fs: LogFs, dataDir: string, file: SnapshotFile): Promise<void> {
  await writeJsonFile(fs, join(dataDir, PRODUCER_SNAPSHOT_FILE), file);
}

/** The snapshot in `dataDir` by partition; empty when there is none. Throws with a clear message if damaged. */
export async function readProducerSnapshot(
  fs: LogFs,
  dataDir: string,
): Promise<Map<PartitionKey, PartitionSnapshot>> {
  const path = join(dataDir, PRODUCER_SNAPSHOT_FILE);
  let raw: unknown;
  try {
    raw = await readJsonFile(fs, path);
  } catch (err) {
    throw new Error(`${path} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const result = new Map<PartitionKey, PartitionSnapshot>();
  if (raw === undefined) return result;
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path} is damaged (${issue.path.join('.') || 'file'}: ${issue.message})`);
  }
  for (const p of parsed.data.partitions) {
    const producers = new Map<bigint, ProducerWindow>();
    for (const s of p.producers) {
      const window = new ProducerWindow(s.epoch, s.lastSeq, s.lastSeenMs);
      for (const b of s.batches) {
        window.batches.push({
          firstSeq: b.firstSeq,
          lastSeq: b.lastSeq,
          appendedAt: { baseOffset: BigInt(b.baseOffset), logAppendTime: BigInt(b.logAppendTime) },
          waiters: [],
        });
      }
      producers.set(BigInt(s.producerId), window);
    }
    result.set(p.key, { endOffset: BigInt(p.endOffset), producers });
  }
  return result;
}
