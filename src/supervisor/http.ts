// Small HTTP client helpers for talking to children and to the supervisor over loopback.

/** A health probe: an endpoint slower than this counts as not healthy. */
const PROBE_TIMEOUT_MS = 2000;
/** A question someone waits for (sluice status): generous, since a loaded machine can be slow to answer. */
const REQUEST_TIMEOUT_MS = 10_000;

/** True when `url` answers 2xx within the timeout. */
export async function answersOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** GET or POST `url` and parse its JSON body; throws with the status and body on a non-2xx answer. */
export async function requestJson<T>(url: string, method: 'GET' | 'POST' = 'GET'): Promise<T> {
  const res = await fetch(url, {
    method,
    signal: AbortSignal.timeout(method === 'POST' ? 30_000 : REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  if (!res.ok) {
    let message = text.trim();
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? message;
    } catch {
      // not JSON: the text is the message
    }
    throw new Error(`${res.status} ${message}`);
  }
  return JSON.parse(text) as T;
}
