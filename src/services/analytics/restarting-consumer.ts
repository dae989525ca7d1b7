// A consumer that is started again after it stops on a fatal error (its sink's database went away, say),
// after a capped exponential back-off. Safe for effectively-once: a new consumer resumes from the offsets
// the sink committed, so what the failed one rolled back is read again, and nothing twice.
import type { ConsumerHandle } from '../../sdk/index.ts';

export interface RestartingConsumer {
  /** Fatal failures so far, and the last one's message. */
  failures(): { count: number; last?: string };
  stop(): Promise<void>;
}

export interface RestartOptions {
  onFailure: (error: unknown, restartInMs: number) => void;
  /** Back-off before the first restart (default 1 s), doubling up to maxDelayMs (default 30 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export async function restartingConsumer(
  start: () => Promise<ConsumerHandle>,
  options: RestartOptions,
): Promise<RestartingConsumer> {
  const initial = options.initialDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 30_000;
  let current: ConsumerHandle | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let count = 0;
  let last: string | undefined;

  const failed = (error: unknown): void => {
    if (stopped) return;
    count++;
    last = String(error);
    const delay = Math.min(max, initial * 2 ** Math.min(count - 1, 30));
    options.onFailure(error, delay);
    timer = setTimeout(() => void run(), delay);
  };
  const run = async (): Promise<void> => {
    if (stopped) return;
    try {
      const handle = await start();
      if (stopped) return void (await handle.stop());
      current = handle;
      handle.done.catch(failed);
    } catch (error) {
      failed(error);
    }
  };

  // The first start's errors (bad options) are the caller's: they propagate.
  current = await start();
  current.done.catch(failed);
  return {
    failures: () => ({ count, ...(last === undefined ? {} : { last }) }),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current?.stop();
    },
  };
}
