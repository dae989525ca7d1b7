// Label matchers: `name=value`, `name!=value`, `name=~regex`, `name!~regex` (regexes are anchored, as in
// Prometheus and Alertmanager).

export interface LabelMatcher {
  readonly name: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

const PATTERN = /^([A-Za-z_][A-Za-z0-9_.]*)\s*(=~|!~|!=|=)\s*(.*)$/;

/** Parses one matcher; throws an Error saying what is wrong with it. */
export function parseMatcher(text: string): LabelMatcher {
  const m = PATTERN.exec(text.trim());
  if (m === null)
    throw new Error(`"${text}" is not a matcher (label=value, label!=value, label=~re, label!~re)`);
  const [, name, op, value] = m as unknown as [string, string, LabelMatcher['op'], string];
  if (op === '=~' || op === '!~') anchored(value, text);
  return { name, op, value };
}

function anchored(source: string, text: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (error) {
    throw new Error(`"${text}": invalid regular expression: ${(error as Error).message}`, { cause: error });
  }
}

const compiled = new Map<string, RegExp>();

export function matches(matcher: LabelMatcher, labels: Record<string, string>): boolean {
  const actual = labels[matcher.name] ?? '';
  switch (matcher.op) {
    case '=':
      return actual === matcher.value;
    case '!=':
      return actual !== matcher.value;
    default: {
      let re = compiled.get(matcher.value);
      if (re === undefined) compiled.set(matcher.value, (re = new RegExp(`^(?:${matcher.value})$`)));
      return re.test(actual) === (matcher.op === '=~');
    }
  }
}

export function matchesAll(matchers: readonly LabelMatcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => matches(m, labels));
}
