// Failures of the bus or of the client library, as one error type: BusError, whose message walks
// platformatic's nested errors (PLT_KFK_MULTIPLE → errors[] / cause → ECONNREFUSED) into one line and whose
// `retriable` says whether trying again later can succeed.
/** A failure of the bus or of the client, with platformatic's nested causes folded into the message. */
export class BusError extends Error {
  /** True when trying again later can succeed (network, timeout, leader moves, rebalances). */
  readonly retriable: boolean;
  override readonly cause?: unknown;
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message);
    this.name = 'BusError';
    this.retriable = options.retriable;
    if (options.cause !== undefined) this.cause = options.cause;
  }

  /** Wraps anything thrown by the client (a BusError passes through unchanged). */
  static from(what: string, error: unknown): BusError {
    if (error instanceof BusError) return error;
    return new BusError(`${what}: ${describeError(error)}`, { retriable: isRetriable(error), cause: error });
  }
}

/** One line out of a tree of errors: `outer (inner1; inner2 (ECONNREFUSED ...))`, duplicates collapsed. */
export function describeError(error: unknown, depth = 0): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const head =
    typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  if (depth > 5) return head;
  const inner: unknown[] = [];
  if (error instanceof AggregateError) inner.push(...(error.errors as unknown[]));
  if (error.cause !== undefined) inner.push(error.cause);
  const parts = [...new Set(inner.map((e) => describeError(e, depth + 1)))].filter((p) => p && p !== head);
  return parts.length > 0 ? `${head} (${parts.join('; ')})` : head;
}

export function isRetriable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false;
  const e = error as Error & {
    canRetry?: unknown;
    code?: unknown;
    needsRejoin?: unknown;
    retriable?: unknown;
  };
  if (e.canRetry === true || e.needsRejoin === true || e.retriable === true) return true;
  if (e.code === 'PLT_KFK_TIMEOUT' || e.code === 'PLT_KFK_NETWORK') return true;
  if (
    typeof e.code === 'string' &&
    /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN)$/.test(e.code)
  ) {
    return true;
  }
  const inner: unknown[] = error instanceof AggregateError ? [...(error.errors as unknown[])] : [];
  if (error.cause !== undefined) inner.push(error.cause);
  return inner.some((i) => isRetriable(i, depth + 1));
}
