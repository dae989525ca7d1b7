// Gap detection for consumers. Every record carries (producer, stream, seq); seq counts from 0 per
// producer incarnation and stream, so a consumer that sees all of a stream's topic can tell what it
// missed. Records of one producer are spread over partitions by key, so they arrive out of order: a
// number above the next expected one opens a hole, a late arrival fills it, and a number seen already
// is a duplicate. Holes are kept as ranges, so a long outage costs one entry, not one per record.

export type Observation =
  | { status: 'in-order' }
  /** seq was above the next expected one: `missing` numbers were skipped (they may still arrive late). */
  | { status: 'gap'; missing: number }
  /** seq filled a hole opened earlier. */
  | { status: 'late' }
  | { status: 'duplicate' };

export interface ScopeReport {
  producer: string;
  stream: string;
  /** One past the highest sequence number seen. */
  next: number;
  received: number;
  duplicates: number;
  /** Sequence numbers not received (yet), as inclusive ranges, lowest first. */
  missing: Array<[from: number, to: number]>;
  missingCount: number;
}

interface Scope {
  producer: string;
  stream: string;
  next: number;
  received: number;
  duplicates: number;
  holes: Array<[number, number]>;
}

export class GapDetector {
  readonly #scopes = new Map<string, Scope>();

  /**
   * Records one received sequence number. Numbers must be non-negative safe integers (a TypeError says
   * otherwise); a producer's numbers below the first one seen count as holes from 0.
   */
  observe(producer: string, stream: string, seq: number): Observation {
    if (!Number.isSafeInteger(seq) || seq < 0) {
      throw new TypeError(`GapDetector.observe: seq must be a non-negative integer, got ${String(seq)}`);
    }
    const id = `${producer}\u0000${stream}`;
    let scope = this.#scopes.get(id);
    if (scope === undefined) {
      scope = { producer, stream, next: 0, received: 0, duplicates: 0, holes: [] };
      this.#scopes.set(id, scope);
    }
    if (seq === scope.next) {
      scope.next++;
      scope.received++;
      return { status: 'in-order' };
    }
    if (seq > scope.next) {
      const missing = seq - scope.next;
      scope.holes.push([scope.next, seq - 1]);
      scope.next = seq + 1;
      scope.received++;
      return { status: 'gap', missing };
    }
    if (fillHole(scope.holes, seq)) {
      scope.received++;
      return { status: 'late' };
    }
    scope.duplicates++;
    return { status: 'duplicate' };
  }

  /** Per (producer, stream): what arrived, the duplicates, and the numbers still missing. */
  report(): ScopeReport[] {
    return [...this.#scopes.values()].map((s) => ({
      producer: s.producer,
      stream: s.stream,
      next: s.next,
      received: s.received,
      duplicates: s.duplicates,
      missing: s.holes.map(([a, b]) => [a, b] as [number, number]),
      missingCount: s.holes.reduce((n, [a, b]) => n + (b - a + 1), 0),
    }));
  }

  /** Total numbers missing over every scope. */
  get missingCount(): number {
    let n = 0;
    for (const s of this.#scopes.values()) for (const [a, b] of s.holes) n += b - a + 1;
    return n;
  }
}

/** Removes `seq` from the sorted, disjoint ranges if it is in one; false when it is in none. */
function fillHole(holes: Array<[number, number]>, seq: number): boolean {
  let lo = 0;
  let hi = holes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const [from, to] = holes[mid];
    if (seq < from) hi = mid - 1;
    else if (seq > to) lo = mid + 1;
    else {
      if (from === to) holes.splice(mid, 1);
      else if (seq === from) holes[mid] = [from + 1, to];
      else if (seq === to) holes[mid] = [from, to - 1];
      else holes.splice(mid, 1, [from, seq - 1], [seq + 1, to]);
      return true;
    }
  }
  return false;
}
