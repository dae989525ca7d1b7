// The logger the partition log writes to: any pino-compatible logger (pino itself, or a child of the
// broker's). The default is silent, so a log used as a library (the SDK's disk buffer) prints nothing
// unless given a logger.
import { pino } from 'pino';

export interface LogLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export function silentLogger(): LogLogger {
  return pino({ level: 'silent' });
}
