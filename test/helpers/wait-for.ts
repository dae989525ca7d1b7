// Waiting on a condition instead of sleeping: polls until `condition` holds, failing only after a generous
// deadline (a loaded 2-core machine can be slow; a correct broker still gets there).

export interface WaitOptions {
  /** What is awaited, for the failure message. */
  what: string;
  /** Default 60 s. */
  deadlineMs?: number;
  /** Poll interval, default 10 ms. */
  everyMs?: number;
}

export async function waitFor<T>(
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + (options.deadlineMs ?? 60_000);
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what}`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 10));
  }
}
