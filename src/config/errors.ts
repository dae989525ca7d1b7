// Turns zod validation failures into one message that names the file (or flag), the setting and what was expected.
import type { ZodError } from 'zod';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function describeZodError(error: ZodError, source: string): ConfigError {
  const lines = error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    return `  ${where}: ${issue.message}`;
  });
  return new ConfigError(`invalid configuration in ${source}:\n${lines.join('\n')}`);
}
