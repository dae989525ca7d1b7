// The indexes of closed segments: loaded from their files on first use (and fully checked then), rebuilt
// by a validating scan when a check fails, and kept for at most `max` segments, least recently used
// dropped first, so memory stays bounded however many segments a log has.
import type { Corruption } from './errors.ts';
import { rebuildClosedSegment } from './recovery.ts';
import type { RecoveryContext } from './recovery.ts';
import type { Segment } from './segment.ts';
import type { SegmentIndexes } from './segment-read.ts';

export class IndexCache {
  readonly #ctx: Pick<RecoveryContext, 'fs' | 'dir' | 'indexIntervalBytes' | 'logger'>;
  readonly #max: number;
  readonly #onCorruption: (corruption: Corruption) => void;
  #loaded: Segment[] = [];
  #loading = new Map<Segment, Promise<SegmentIndexes>>();

  constructor(
    ctx: Pick<RecoveryContext, 'fs' | 'dir' | 'indexIntervalBytes' | 'logger'>,
    max: number,
    onCorruption: (corruption: Corruption) => void,
  ) {
    this.#ctx = ctx;
    this.#max = max;
    this.#onCorruption = onCorruption;
  }

  /** The segment's indexes (the active segment's are always in memory). */
  get(seg: Segment): Promise<SegmentIndexes> {
    if (seg.offsetIndex && seg.timeIndex) {
      if (seg.closed) this.touch(seg);
      return Promise.resolve({ offsetIndex: seg.offsetIndex, timeIndex: seg.timeIndex });
    }
    let loading = this.#loading.get(seg);
    if (!loading) {
      loading = this.#load(seg).finally(() => this.#loading.delete(seg));
      this.#loading.set(seg, loading);
    }
    return loading;
  }

  async #load(seg: Segment): Promise<SegmentIndexes> {
    const problem = await seg.loadIndexes(this.#ctx.fs);
    if (problem) {
      const corruption = await rebuildClosedSegment(this.#ctx, seg, problem);
      if (corruption) this.#onCorruption(corruption);
    }
    const indexes = { offsetIndex: seg.offsetIndex!, timeIndex: seg.timeIndex! };
    this.touch(seg);
    return indexes;
  }

  /** Marks a closed segment's indexes as just used, dropping the least recently used beyond `max`. */
  touch(seg: Segment): void {
    const at = this.#loaded.indexOf(seg);
    if (at >= 0) this.#loaded.splice(at, 1);
    this.#loaded.push(seg);
    while (this.#loaded.length > this.#max) this.#loaded.shift()!.unloadIndexes();
  }

  forget(segments: readonly Segment[]): void {
    this.#loaded = this.#loaded.filter((s) => !segments.includes(s));
  }
}
