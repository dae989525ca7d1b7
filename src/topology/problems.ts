// One topology problem = where (a path inside the file) and what was expected there. Zod's issues and the
// cross-reference checks both become problems; load.ts adds the file name and line to each.
import type { core } from 'zod';

export type TopologyPath = readonly (string | number)[];

export interface Problem {
  path: TopologyPath;
  /** What belongs there, phrased to follow "expected": "a bus name: metrics, logs". */
  expected: string;
}

/** `streams.metrics.bus`, `components.dashboard.streams[1]`. */
export function formatPath(path: TopologyPath): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The value found at `path` in the parsed file, for "got …". */
export function valueAt(data: unknown, path: TopologyPath): unknown {
  let current = data;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

const ARTICLE: Record<string, string> = { object: 'a mapping', array: 'a list', record: 'a mapping' };

function typeName(expected: string): string {
  return ARTICLE[expected] ?? `${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`;
}

function bound(issue: core.$ZodIssueTooSmall | core.$ZodIssueTooBig, word: string): string {
  const limit = String(issue.code === 'too_small' ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive ?? true;
  if (issue.origin === 'array' || issue.origin === 'set') return `${word} ${limit} item(s)`;
  if (issue.origin === 'string') return `${word} ${limit} character(s)`;
  const op = issue.code === 'too_small' ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
  return `a number ${op} ${limit}`;
}

/** Zod's issue as a problem: its path (pointing at the offending key when there is one) and expectation. */
export function problemFromIssue(issue: core.$ZodIssue): Problem {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  switch (issue.code) {
    case 'invalid_type':
      return { path, expected: typeName(issue.expected) };
    case 'invalid_value':
      return { path, expected: `one of: ${issue.values.map(String).join(', ')}` };
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      if (Array.isArray(options)) return { path, expected: `one of: ${options.map(String).join(', ')}` };
      return { path, expected: issue.message };
    }
    case 'invalid_key': {
      const inner = issue.issues.map((i) => i.message).join('; ');
      return { path, expected: `a key that is ${inner}` };
    }
    case 'unrecognized_keys':
      return {
        path: [...path, issue.keys[0] ?? ''],
        expected: `no setting named ${issue.keys.map((k) => `"${k}"`).join(', ')} here (a typo, or misplaced)`,
      };
    case 'invalid_format':
      return {
        path,
        expected: issue.message.startsWith('Invalid')
          ? `a string matching ${issue.pattern ?? issue.format}`
          : issue.message,
      };
    case 'too_small':
      return { path, expected: bound(issue, 'at least') };
    case 'too_big':
      return { path, expected: bound(issue, 'at most') };
    default:
      return { path, expected: issue.message };
  }
}
