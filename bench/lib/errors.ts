// Error text for the benchmark's messages: @platformatic/kafka wraps the broker's errors (an AggregateError
// of per-attempt errors, with the interesting one in `errors` or `cause`), so unwrap a level or two.
export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const inner = (err as Error & { errors?: unknown[] }).errors;
  const parts = [err.message];
  if (Array.isArray(inner) && inner.length > 0) parts.push(errorMessage(inner[0]));
  else if (err.cause !== undefined) parts.push(errorMessage(err.cause));
  return parts.join(': ');
}
