// GET /api/v1/live: Server-Sent Events over plain node:http. Each `entries` event carries the records
// appended since the previous one, and its id is the journal's cursor right after them, so a browser that
// reconnects (EventSource sends the last id as Last-Event-ID) gets exactly what it missed: no gap, no
// duplicate. A first connection names its starting point with `?from=<cursor>` (the history's cursor).
import type http from 'node:http';
import { CursorError, decodeEventId, encodeEventId, type EventId } from './cursor.ts';
import type { Entry } from './entries.ts';
import type { Journal } from './journal.ts';

/** A browser that has this much unsent data is too slow: it is cut off and resumes from its last id. */
const MAX_UNSENT_BYTES = 8 * 1024 * 1024;
const KEEPALIVE_MS = 15_000;

export class LiveHub {
  readonly #journal: Journal;
  /** Names this process in the event ids it issues. */
  readonly epoch: string;
  readonly #clients = new Set<http.ServerResponse>();
  readonly #keepalive: NodeJS.Timeout;

  constructor(journal: Journal, epoch: string) {
    this.#journal = journal;
    this.epoch = epoch;
    this.#keepalive = setInterval(() => {
      for (const res of this.#clients) res.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
    this.#keepalive.unref();
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Appends to the journal and sends what was new to every connected browser. */
  publish(entries: Entry[]): void {
    const added = this.#journal.append(entries);
    if (added.length === 0) return;
    const message = frame('entries', this.lastEventId(), added);
    for (const res of this.#clients) {
      res.write(message);
      if (res.writableLength > MAX_UNSENT_BYTES) res.destroy();
    }
  }

  /** The id of everything the journal holds: what the history hands out, what each event carries. */
  lastEventId(): string {
    return encodeEventId(this.epoch, this.#journal.cursor());
  }

  /** Serves one EventSource connection. */
  serve(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const lastEventId = req.headers['last-event-id'];
    let from: EventId;
    try {
      from =
        typeof lastEventId === 'string'
          ? decodeEventId(lastEventId, 'Last-Event-ID header')
          : decodeEventId(url.searchParams.get('from') ?? '', "parameter 'from'");
    } catch (error) {
      if (!(error instanceof CursorError)) throw error;
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: error.message }));
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write('retry: 1000\n\n');
    // Catch-up and subscription happen in the same tick: nothing can be appended in between.
    const missed = this.#journal.since(from.cursor, from.epoch !== this.epoch);
    const id = this.lastEventId();
    if (missed === undefined) res.write(frame('reset', id, []));
    else res.write(frame('entries', id, missed));
    this.#clients.add(res);
    const drop = (): void => void this.#clients.delete(res);
    res.on('close', drop);
    req.on('close', drop);
  }

  close(): void {
    clearInterval(this.#keepalive);
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }
}

function frame(event: string, id: string, entries: Entry[]): string {
  return `event: ${event}\nid: ${id}\ndata: ${JSON.stringify({ entries })}\n\n`;
}
