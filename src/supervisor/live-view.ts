// The terminal of `sluice up`: on a TTY, the status table redrawn every 2 s with the latest events under
// it; otherwise (a pipe, a log file) one plain line per event.
import { reportProcess, renderReport } from './status-report.ts';
import type { Supervisor } from './supervisor.ts';

const REFRESH_MS = 2000;
const EVENTS_SHOWN = 8;

export interface LiveView {
  event(name: string, message: string): void;
  /** Starts redrawing (TTY only) with the supervisor's processes. */
  attach(supervisor: Supervisor, header: string[]): void;
  close(): void;
}

function stamp(): string {
  return new Date().toISOString().slice(11, 19);
}

export function createLiveView(out: NodeJS.WriteStream = process.stdout): LiveView {
  const events: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let drawing = false;
  const tty = out.isTTY;
  return {
    event(name, message) {
      const line = `${stamp()} ${name}: ${message}`;
      if (!tty || timer === undefined) out.write(`${line}\n`);
      events.push(line);
      if (events.length > EVENTS_SHOWN) events.shift();
    },
    attach(supervisor, header) {
      if (!tty) return;
      const draw = async (): Promise<void> => {
        if (drawing) return;
        drawing = true;
        try {
          const reports = await Promise.all(supervisor.processes().map(reportProcess));
          if (timer === undefined) return;
          const lines = [...header, '', ...renderReport(reports), '', ...events];
          out.write(`\x1b[H\x1b[J${lines.join('\n')}\n`);
        } finally {
          drawing = false;
        }
      };
      timer = setInterval(() => void draw(), REFRESH_MS);
      void draw();
    },
    close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}
