// The dashboard service: consumes the topology's streams into a live window in memory (journal.ts), serves
// the web page, the window's history, live updates over SSE and the pipeline's health board.
//
// Delivery semantics: at-least-once. The handler only appends to memory and cannot fail, and the journal
// drops any record whose offset it has already seen, so the redeliveries at-least-once allows (after a
// rebalance or a lost bus) cost nothing, while at-most-once would lose from the window the records of a
// batch committed but not yet handled when the consumer was rebuilt. Effectively-once buys nothing for a
// window that lives in memory. A new group starts at the latest offset: the dashboard shows what happens
// from now on (older history is the analytics service's job).
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { consume, decodeEnvelope, type ConsumerHandle } from '../../sdk/index.ts';
import { streamOf, streamSource } from '../../topology/sdk-options.ts';
import type { Component, ResolvedTopology } from '../../topology/schema.ts';
import type { Route, ServiceMain } from '../runtime.ts';
import { toEntry, type Entry } from './entries.ts';
import { HealthBoard } from './health-board.ts';
import { historyOf, HistoryParameterError, parseWindow, rollupsOf } from './history.ts';
import { Journal } from './journal.ts';
import { LiveHub } from './live.ts';
import { loadAssets } from './web-assets.ts';

/**
 * The group of the consumer of `stream`: `group`, unless another of the dashboard's streams is on the same
 * bus. Then each gets `<group>.<stream>`: the Kafka client's round-robin assignor hands a group's
 * partitions to its members without looking at what each subscribed to, so two consumers of different
 * topics in one group each lose some partitions to the other (which never reads them).
 */
export function groupFor(
  topology: ResolvedTopology,
  streams: string[],
  stream: string,
  group: string,
): string {
  const bus = streamOf(topology, stream).bus;
  const shared = streams.filter((s) => streamOf(topology, s).bus === bus).length > 1;
  return shared ? `${group}.${stream}` : group;
}

type DashboardComponent = Extract<Component, { kind: 'dashboard' }>;

/** Records handled within this many ms go to the browsers as one SSE event. */
const FLUSH_MS = 100;

export const main: ServiceMain = async (ctx) => {
  const component = ctx.component as DashboardComponent;
  const windowMs = component.liveWindowSeconds * 1000;
  const group = component.group ?? `sluice-dashboard-${ctx.name}`;
  const assets = await loadAssets();
  const journal = new Journal({ windowMs, maxEntries: component.maxWindowRecords });
  // A new epoch per start: event ids issued by an earlier process of this dashboard are checked, not trusted.
  const hub = new LiveHub(journal, randomBytes(4).toString('hex'));
  const board = new HealthBoard({
    topology: ctx.topology,
    intervalMs: component.healthIntervalMs,
    timeoutMs: component.probeTimeoutMs,
  });

  let pending: Entry[] = [];
  let undecodable = 0;
  const flush = (): void => {
    const entries = pending;
    pending = [];
    hub.publish(entries);
    journal.evict();
  };
  const flusher = setInterval(flush, FLUSH_MS);

  const consumers: ConsumerHandle[] = [];
  try {
    for (const stream of component.streams) {
      const source = streamSource(ctx.topology, stream, `sluice-dashboard-${ctx.name}`);
      consumers.push(
        await consume({
          ...source,
          group: groupFor(ctx.topology, component.streams, stream, group),
          semantics: 'at-least-once',
          fromBeginning: false,
          lagIntervalMs: 2000,
          metrics: ctx.registry,
          logger: ctx.logger,
          handler: (record) => {
            try {
              const envelope = decodeEnvelope(record.value);
              pending.push(
                toEntry(envelope, { stream, partition: record.partition, offset: Number(record.offset) }),
              );
            } catch (error) {
              // Not ours to fix, and one bad record must not stall the charts: counted, logged, skipped.
              if (undecodable++ % 1000 === 0) {
                ctx.logger.warn(
                  { err: error, stream, undecodable },
                  'skipping records the dashboard cannot decode',
                );
              }
            }
          },
        }),
      );
    }
  } catch (error) {
    clearInterval(flusher);
    await Promise.all(consumers.map((c) => c.stop()));
    throw error;
  }
  board.start();

  const json = (res: http.ServerResponse, status: number, body: unknown): true => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
    return true;
  };

  const routes: Route[] = [
    (req, res, url) => {
      if (req.method !== 'GET') return false;
      const asset = assets.get(url.pathname);
      if (asset === undefined) return false;
      res.writeHead(200, { 'content-type': asset.contentType, 'cache-control': 'no-cache' });
      res.end(asset.body);
      return true;
    },
    async (req, res, url) => {
      if (req.method !== 'GET' || url.pathname !== '/api/v1/history') return false;
      let window: number;
      try {
        window = parseWindow(url.searchParams.get('window'), windowMs);
      } catch (error) {
        if (error instanceof HistoryParameterError) return json(res, 400, { error: error.message });
        throw error;
      }
      flush();
      const now = Date.now();
      const history = historyOf(journal, hub.lastEventId(), now, Math.min(window, windowMs));
      if (window <= windowMs) return json(res, 200, history);
      const types = new Map(history.series.map((s) => [s.name, s.type]));
      const rollups = await rollupsOf(ctx.topology, now, window, component.probeTimeoutMs * 5, types);
      return json(res, 200, { ...history, windowMs: window, rollups });
    },
    (req, res, url) => {
      if (req.method !== 'GET' || url.pathname !== '/api/v1/live') return false;
      flush();
      hub.serve(req, res, url);
      return true;
    },
    async (req, res, url) => {
      if (req.method !== 'GET' || url.pathname !== '/api/v1/health') return false;
      return json(res, 200, await board.current());
    },
  ];

  return {
    routes,
    details: () => ({
      group,
      streams: component.streams,
      liveWindowSeconds: component.liveWindowSeconds,
      windowRecords: journal.size,
      duplicatesDropped: journal.duplicates,
      undecodable,
      liveClients: hub.clients,
    }),
    async stop() {
      clearInterval(flusher);
      await Promise.all(consumers.map((c) => c.stop()));
      flush();
      hub.close();
      await board.stop();
    },
  };
};
