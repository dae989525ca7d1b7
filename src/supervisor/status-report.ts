// What `sluice status` and the live view of `sluice up` show: every bus and component with its process
// state (from the supervisor), each bus's health (its admin /healthz) and each component's /status
// (producer breakers and buffers, consumer group lag), asked directly so a bus being down shows as such.
import type { ComponentStatus } from '../services/runtime.ts';
import { answersOk, requestJson } from './http.ts';
import type { ProcessInfo } from './supervised-process.ts';

export interface ProcessReport extends ProcessInfo {
  /** Whether its endpoint answers now. */
  healthy: boolean;
  /** A component's GET /status, when it answered. */
  status?: ComponentStatus;
}

export interface SystemReport {
  supervisor: { pid: number; controlPort: number };
  components: ProcessReport[];
}

export async function reportProcess(info: ProcessInfo): Promise<ProcessReport> {
  if (info.role === 'bus' || info.httpPort === undefined) {
    const healthy =
      info.adminPort !== undefined && (await answersOk(`http://127.0.0.1:${info.adminPort}/healthz`));
    return { ...info, healthy };
  }
  try {
    const status = await requestJson<ComponentStatus>(`http://127.0.0.1:${info.httpPort}/status`);
    return { ...info, healthy: true, status };
  } catch {
    return { ...info, healthy: false };
  }
}

export async function collectReport(pid: number, controlPort: number): Promise<SystemReport> {
  const { components } = await requestJson<{ components: ProcessInfo[] }>(
    `http://127.0.0.1:${controlPort}/api/v1/components`,
  );
  return { supervisor: { pid, controlPort }, components: await Promise.all(components.map(reportProcess)) };
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text.padEnd(width);
}

/** One line per bus/component, then one indented line per producer stream and per consumer group. */
export function renderReport(components: readonly ProcessReport[]): string[] {
  const width = Math.max(4, ...components.map((c) => c.name.length)) + 2;
  const lines = [
    `${pad('NAME', width)}${pad('KIND', 12)}${pad('STATE', 11)}${pad('HEALTH', 8)}${pad('PID', 9)}${pad('RESTARTS', 10)}PORT`,
  ];
  for (const c of components) {
    const port = c.role === 'bus' ? `admin ${c.adminPort ?? '-'}` : `http ${c.httpPort ?? '-'}`;
    lines.push(
      `${pad(c.name, width)}${pad(c.kind, 12)}${pad(c.state, 11)}${pad(c.healthy ? 'up' : 'down', 8)}${pad(String(c.pid ?? '-'), 9)}${pad(String(c.restarts), 10)}${port}`,
    );
    for (const p of c.status?.producers ?? []) {
      const dropped = Object.entries(p.dropped)
        .filter(([, n]) => n > 0)
        .map(([reason, n]) => `${reason}=${n}`)
        .join(' ');
      lines.push(
        `    produce ${p.stream}: breaker ${p.breaker}, buffer ${p.bufferedRecords} rec (${bytes(p.bufferedBytes)}), sent ${p.sentRecords}${dropped === '' ? '' : `, dropped ${dropped}`}`,
      );
    }
    for (const g of c.status?.consumers ?? [])
      lines.push(`    group ${g.group} on ${g.topic}: lag ${g.lagRecords} rec, ${g.lagSeconds.toFixed(1)} s`);
  }
  return lines;
}
