// Where a browser is in the dashboard's streams: the last offset it has seen per stream and partition. It
// travels as the SSE event id (`k3x9f2@metrics=0:41,1:17;logs=0:8`), so a reconnecting EventSource hands it
// back in Last-Event-ID and the server sends exactly what came after it. The part before `@` names the
// dashboard process (its epoch) that sent it: a restarted dashboard holds only what it consumed since its
// start, so it checks a foreign id against that (journal.ts).

/** stream → partition → last offset seen. */
export type Cursor = Map<string, Map<number, number>>;

/** A cursor the dashboard cannot read (a bad Last-Event-ID or `from` parameter). */
export class CursorError extends Error {
  override readonly name = 'CursorError';
}

const STREAM = /^[a-z][a-z0-9-]{0,62}$/;
const NUMBER = /^\d{1,15}$/;

export function encodeCursor(cursor: Cursor): string {
  const parts: string[] = [];
  for (const stream of [...cursor.keys()].sort()) {
    const partitions = [...cursor.get(stream)!.entries()].sort((a, b) => a[0] - b[0]);
    if (partitions.length === 0) continue;
    parts.push(`${stream}=${partitions.map(([p, o]) => `${p}:${o}`).join(',')}`);
  }
  return parts.join(';');
}

export interface EventId {
  /** The dashboard process that issued it; undefined when the id named none. */
  epoch: string | undefined;
  cursor: Cursor;
}

export function encodeEventId(epoch: string, cursor: Cursor): string {
  return `${epoch}@${encodeCursor(cursor)}`;
}

/** `epoch@cursor` or a bare cursor (then no epoch). */
export function decodeEventId(text: string, where: string): EventId {
  const at = text.indexOf('@');
  if (at < 0) return { epoch: undefined, cursor: decodeCursor(text, where) };
  const epoch = text.slice(0, at);
  if (!/^[a-z0-9]{1,32}$/.test(epoch)) {
    throw new CursorError(
      `${where}: bad epoch '${epoch}' in '${text}' (expected letters and digits before '@')`,
    );
  }
  return { epoch, cursor: decodeCursor(text.slice(at + 1), where) };
}

/** Parses a cursor; '' and '-' are the cursor of a browser that has seen nothing. */
export function decodeCursor(text: string, where: string): Cursor {
  const cursor: Cursor = new Map();
  if (text.trim() === '' || text === '-') return cursor;
  const fail = (what: string): never => {
    throw new CursorError(
      `${where}: ${what} in '${text}' (expected stream=partition:offset,...;stream=... as sent in the event id)`,
    );
  };
  for (const part of text.split(';')) {
    const [stream, list, extra] = part.split('=');
    if (stream === undefined || list === undefined || extra !== undefined) fail(`bad part '${part}'`);
    if (!STREAM.test(stream)) fail(`bad stream name '${stream}'`);
    if (cursor.has(stream)) fail(`stream '${stream}' given twice`);
    const partitions = new Map<number, number>();
    for (const pair of list.split(',')) {
      const [p, o, more] = pair.split(':');
      if (p === undefined || o === undefined || more !== undefined || !NUMBER.test(p) || !NUMBER.test(o)) {
        fail(`bad partition:offset '${pair}' of stream '${stream}'`);
      }
      partitions.set(Number(p), Number(o));
    }
    cursor.set(stream, partitions);
  }
  return cursor;
}

export function copyCursor(cursor: Cursor): Cursor {
  return new Map([...cursor].map(([s, parts]) => [s, new Map(parts)]));
}
