// The alerting HTTP API (docs/alerting.md): GET /api/v1/alerts, GET and POST /api/v1/silences,
// DELETE /api/v1/silences/<id>. Reads use a connection that sees committed data only; writes are queued
// with the consumer's transactions on the sink's connection.
import type http from 'node:http';
import type { DatabaseSync } from 'node:sqlite';
import type { Route } from '../runtime.ts';
import { deleteSilence, insertSilence, listSilences, silenceInput } from './silences.ts';

export interface AlertView {
  rule: string;
  fingerprint: string;
  labels: Record<string, string>;
  state: 'pending' | 'firing' | 'resolved' | 'no-data';
  severity: string;
  since: number;
  value: number | null;
  annotations: Record<string, string>;
  silenced: boolean;
}

export interface AlertingApiOptions {
  reader: DatabaseSync;
  write: <T>(work: (db: DatabaseSync) => T) => Promise<T>;
  alerts: () => AlertView[];
  now: () => number;
}

const MAX_BODY = 64 * 1024;

export function alertingRoutes(o: AlertingApiOptions): Route[] {
  return [
    (req, res, url) => {
      if (url.pathname !== '/api/v1/alerts') return false;
      if (req.method !== 'GET') return reply(res, 405, { error: 'use GET' });
      return reply(res, 200, { alerts: o.alerts() });
    },
    async (req, res, url) => {
      if (url.pathname !== '/api/v1/silences') return false;
      if (req.method === 'GET') return reply(res, 200, { silences: listSilences(o.reader) });
      if (req.method !== 'POST') return reply(res, 405, { error: 'use GET or POST' });
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch (error) {
        return reply(res, 400, { error: `the body is not JSON: ${(error as Error).message}` });
      }
      const parsed = silenceInput.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue.path.join('.') || '(body)';
        return reply(res, 400, { error: `${field}: ${issue.message}` });
      }
      const id = await o.write((db) => insertSilence(db, parsed.data, o.now()));
      return reply(res, 200, { id });
    },
    async (req, res, url) => {
      const m = /^\/api\/v1\/silences\/([^/]+)$/.exec(url.pathname);
      if (m === null) return false;
      if (req.method !== 'DELETE') return reply(res, 405, { error: 'use DELETE' });
      const id = decodeURIComponent(m[1]);
      const deleted = await o.write((db) => deleteSilence(db, id));
      return deleted ? reply(res, 200, { id }) : reply(res, 404, { error: `no silence with id ${id}` });
    },
  ];
}

function reply(res: http.ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
  return true;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error(`larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
