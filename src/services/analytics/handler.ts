// One record → rollup updates. A record that is not telemetry (not JSON, or JSON that breaks the wire
// format) is poison: NonRetriableError, so consume() dead-letters it at once with the reason. A record of
// a later version, kind or metric type, a log or event on a metric stream, or an empty histogram is skipped
// and counted: nothing is wrong with it, analytics has nothing to roll up from it.
import { decodeEnvelope, EnvelopeDecodeError, NonRetriableError } from '../../sdk/index.ts';
import type { IncomingRecord } from '../../sdk/kafka-client.ts';
import {
  aggregateOf,
  attributesKey,
  RESOLUTION_NAMES,
  RESOLUTIONS,
  windowStart,
  type Resolution,
} from './rollup.ts';
import type { RollupStore } from './store.ts';

export type RecordOutcome = 'rolled-up' | 'skipped' | 'dead-lettered';

export interface RollupHandlerOptions<Tx> {
  store: RollupStore<Tx>;
  alpha: number;
  /** Retention per resolution (ms): a window already past it is not written. */
  retentionMs: Record<Resolution, number>;
  now: () => number;
  /** Told what became of each record (for counting). */
  onOutcome: (outcome: RecordOutcome, detail: string) => void;
}

export function rollupHandler<Tx>(options: RollupHandlerOptions<Tx>) {
  const { store, alpha, retentionMs, now, onOutcome } = options;
  return async (record: IncomingRecord, context: { tx: Tx }): Promise<void> => {
    let envelope;
    try {
      envelope = decodeEnvelope(record.value);
    } catch (error) {
      if (!(error instanceof EnvelopeDecodeError)) throw error;
      if (error.code === 'not-json' || error.code === 'schema') {
        onOutcome('dead-lettered', error.code);
        throw new NonRetriableError(`${error.code} at ${error.path}: ${error.reason}`);
      }
      onOutcome('skipped', error.code);
      return;
    }
    if (envelope.kind !== 'metric') return onOutcome('skipped', `kind ${envelope.kind}`);
    const point = envelope.data;
    const aggregate = aggregateOf(point, alpha);
    if (aggregate === undefined) return onOutcome('skipped', 'empty histogram');
    const attributes = attributesKey(point.attributes);
    const at = now();
    const keys = RESOLUTION_NAMES.map((resolution) => ({
      name: point.name,
      attributes,
      resolution,
      t: windowStart(point, RESOLUTIONS[resolution]),
    })).filter((key) => key.t >= at - retentionMs[key.resolution]);
    if (keys.length > 0) await store.merge(context.tx, keys, aggregate);
    onOutcome('rolled-up', point.type);
  };
}
