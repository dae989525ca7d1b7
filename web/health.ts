// The health board and the alerts panel, drawn from GET /api/v1/health. Rows carry data-* attributes
// (bus, up, breaker, buffered, lag) so they can be read by tools as well as by people.
import { byId, el, formatBytes, formatNumber } from './dom.ts';
import type { Health } from './types.ts';

export function renderHealth(health: Health): void {
  const supervisor = byId('supervisor');
  supervisor.textContent = !health.supervisor.present
    ? 'no supervisor: process states unknown'
    : health.supervisor.reachable
      ? ''
      : `supervisor unreachable: ${health.supervisor.error ?? ''}`;

  body('buses').replaceChildren(
    ...health.buses.map((b) => {
      const rate = (key: string, bytes: string): string => {
        const records = b.rates[key];
        const parts = [formatBytes(b.rates[bytes])];
        if (records !== undefined) parts.unshift(`${formatNumber(records)} rec/s`);
        return b.up ? parts.join(' · ') : '–';
      };
      return el(
        'tr',
        { 'data-bus': b.name, 'data-up': String(b.up) },
        el('td', {}, b.name),
        el('td', {}, b.kind),
        el('td', { class: b.up ? 'up' : 'down', title: b.error }, b.up ? 'up' : 'down'),
        el('td', { class: 'muted' }, processState(b.state, b.restarts)),
        el('td', {}, rate('recordsIn', 'bytesIn')),
        el('td', {}, rate('recordsOut', 'bytesOut')),
      );
    }),
  );

  body('producers').replaceChildren(
    ...health.components.flatMap((c) =>
      c.producers.map((p) => {
        const dropped = Object.entries(p.dropped).filter(([, n]) => n > 0);
        return el(
          'tr',
          {
            'data-component': c.name,
            'data-stream': p.stream,
            'data-breaker': p.breaker,
            'data-buffered': p.bufferedRecords,
          },
          el('td', {}, c.name),
          el('td', {}, p.stream),
          el('td', { class: `breaker-${p.breaker}` }, p.breaker),
          el(
            'td',
            {},
            `${formatNumber(p.bufferedRecords)} rec · ${formatBytes(p.bufferedBytes).replace('/s', '')}`,
          ),
          el('td', {}, formatNumber(p.sentRecords)),
          el(
            'td',
            {},
            dropped.length === 0 ? '0' : dropped.map(([why, n]) => `${why}: ${formatNumber(n)}`).join(', '),
          ),
        );
      }),
    ),
  );

  body('consumers').replaceChildren(
    ...health.components.flatMap((c) =>
      c.consumers.map((g) =>
        el(
          'tr',
          {
            'data-component': c.name,
            'data-group': g.group,
            'data-topic': g.topic,
            'data-lag': g.lagRecords,
          },
          el('td', {}, c.name),
          el('td', {}, g.group),
          el('td', {}, g.topic),
          el('td', {}, formatNumber(g.lagRecords)),
          el('td', {}, g.lagSeconds.toFixed(1)),
        ),
      ),
    ),
  );

  body('components').replaceChildren(
    ...health.components.map((c) =>
      el(
        'tr',
        { 'data-component': c.name, 'data-up': String(c.up) },
        el('td', {}, c.name),
        el('td', {}, c.kind),
        el('td', { class: c.up ? 'up' : 'down', title: c.error }, c.up ? 'up' : 'down'),
        el('td', { class: 'muted' }, processState(c.state, undefined, c.pid)),
        el('td', {}, c.restarts === undefined ? '–' : String(c.restarts)),
      ),
    ),
  );

  renderAlerts(health.alerts);
  byId('updated').textContent = `health at ${new Date(health.at).toLocaleTimeString()}`;
}

function renderAlerts(view: Health['alerts']): void {
  const root = byId('alerts');
  if (view.source === undefined) {
    root.replaceChildren(el('p', { class: 'muted' }, 'no alerting component in this topology'));
    return;
  }
  if (view.error !== undefined) {
    root.replaceChildren(el('p', { class: 'down' }, `${view.source} unreachable: ${view.error}`));
    return;
  }
  const active = view.alerts.filter(
    (a) => a.state === 'firing' || a.state === 'pending' || a.state === 'no-data',
  );
  const list =
    active.length === 0
      ? el('p', { class: 'muted' }, 'nothing firing')
      : el(
          'ul',
          {},
          ...active.map((a) =>
            el(
              'li',
              { class: `alert-${a.state}`, 'data-rule': a.rule, 'data-state': a.state },
              `${a.rule} ${a.state}${a.silenced ? ' (silenced)' : ''}`,
              a.severity === undefined ? '' : ` · ${a.severity}`,
              a.value === undefined ? '' : ` · value ${formatNumber(a.value)}`,
              a.labels === undefined || Object.keys(a.labels).length === 0
                ? ''
                : ` · ${Object.entries(a.labels)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(' ')}`,
            ),
          ),
        );
  const silences =
    view.silences.length === 0
      ? []
      : [
          el('h3', {}, 'Silences'),
          el(
            'ul',
            {},
            ...view.silences.map((s) =>
              el(
                'li',
                {},
                `${s.comment ?? s.id}${s.endsAt === undefined ? '' : ` until ${new Date(s.endsAt).toLocaleTimeString()}`}`,
              ),
            ),
          ),
        ];
  root.replaceChildren(list, ...silences);
}

function body(table: string): HTMLTableSectionElement {
  return byId<HTMLTableElement>(table).tBodies[0];
}

function processState(state?: string, restarts?: number, pid?: number): string {
  if (state === undefined) return pid === undefined ? '–' : `pid ${pid}`;
  const extra = restarts ? ` (${restarts} restarts)` : '';
  return `${state}${extra}`;
}
