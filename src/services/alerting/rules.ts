// The rules file (YAML): what to evaluate, how notifications are grouped. Parsed with zod; an invalid file
// is refused with messages naming the rule (by name, else by index) and the field.
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { duration } from './duration.ts';
import { parseMatcher, type LabelMatcher } from './matchers.ts';
import { badPlaceholder } from './template.ts';

export const AGGREGATIONS = [
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'rate',
  'last',
  'p50',
  'p90',
  'p95',
  'p99',
] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];
export const COMPARISONS = ['>', '>=', '<', '<=', '==', '!='] as const;
export type Comparison = (typeof COMPARISONS)[number];

const labelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, 'a label name ([A-Za-z_][A-Za-z0-9_.]*)');
const matcher = z.string().transform((text, ctx): LabelMatcher => {
  try {
    return parseMatcher(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});
const metricName = z.string().regex(/^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$/, 'a metric name');
const template = z.string().superRefine((text, ctx) => {
  const bad = badPlaceholder(text);
  if (bad !== undefined)
    ctx.addIssue({
      code: 'custom',
      message: `unknown placeholder ${bad} (use {{ $value }} or {{ $labels.<name> }})`,
    });
});

export const ruleSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a rule name ([A-Za-z_][A-Za-z0-9_]*)'),
  /** The metric the rule reads; its series' labels are their attributes plus `service`. */
  metric: metricName,
  match: z.array(matcher).default([]),
  /** A denominator: the value is aggregation(metric) / aggregation(over) per group. */
  over: z.strictObject({ metric: metricName, match: z.array(matcher).default([]) }).optional(),
  aggregation: z.enum(AGGREGATIONS),
  window: duration.refine((ms) => ms > 0, 'a window longer than 0'),
  /** Series labels that split the rule into one alert per value combination. */
  by: z.array(labelName).default([]),
  op: z.enum(COMPARISONS),
  threshold: z.number(),
  for: duration.default(0),
  keep_firing_for: duration.default(0),
  severity: z.string().min(1).default('warning'),
  labels: z.record(labelName, z.string()).default({}),
  annotations: z.record(labelName, template).default({}),
});
export type Rule = z.output<typeof ruleSchema>;

export const rulesFileSchema = z.strictObject({
  /** Event-time step between evaluations. */
  evaluation_interval: duration.refine((ms) => ms > 0, 'an interval longer than 0').default(10_000),
  /** A series with no point for this long (event time), or a stream silent this long (wall clock): no-data. */
  stale_after: duration.refine((ms) => ms > 0, 'a duration longer than 0').default(120_000),
  route: z
    .strictObject({
      group_by: z.array(labelName).default(['alertname']),
      group_wait: duration.default(30_000),
      group_interval: duration.default(300_000),
      repeat_interval: duration.default(14_400_000),
    })
    .default({
      group_by: ['alertname'],
      group_wait: 30_000,
      group_interval: 300_000,
      repeat_interval: 14_400_000,
    }),
  rules: z.array(ruleSchema).min(1, 'at least one rule'),
});
export type RulesFile = z.output<typeof rulesFileSchema>;

/** The rules file was refused; `problems` lists each one ("rule 'X' (rules[0]), field 'for': ..."). */
export class RulesFileError extends Error {
  override readonly name = 'RulesFileError';
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`invalid rules file ${source}:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

export function loadRulesFile(file: string): RulesFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RulesFileError(file, [`cannot read it: ${(error as Error).message}`]);
  }
  return parseRules(text, file);
}

/** Parses and validates rules YAML; `source` names it in errors. */
export function parseRules(text: string, source: string): RulesFile {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : '';
    throw new RulesFileError(source, [`not YAML${where}: ${(error as Error).message.split('\n')[0]}`]);
  }
  const result = rulesFileSchema.safeParse(raw);
  if (!result.success) {
    throw new RulesFileError(
      source,
      result.error.issues.map((issue) => describeIssue(raw, issue)),
    );
  }
  const seen = new Map<string, number>();
  const problems: string[] = [];
  for (const [i, rule] of result.data.rules.entries()) {
    const first = seen.get(rule.name);
    if (first !== undefined)
      problems.push(`rule '${rule.name}' (rules[${i}]), field 'name': the same name as rules[${first}]`);
    else seen.set(rule.name, i);
  }
  if (problems.length > 0) throw new RulesFileError(source, problems);
  return result.data;
}

function describeIssue(raw: unknown, issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  if (path[0] === 'rules' && path.length >= 2) {
    const index = Number(path[1]);
    const field = path.slice(2).join('.') || '(the rule itself)';
    return `${ruleLabel(raw, index)}, field '${field}': ${issue.message}`;
  }
  return `field '${path.join('.') || '(top level)'}': ${issue.message}`;
}

function ruleLabel(raw: unknown, index: number): string {
  const rules = (raw as { rules?: unknown } | null)?.rules;
  const name = Array.isArray(rules) ? (rules[index] as { name?: unknown } | null)?.name : undefined;
  return typeof name === 'string' && name !== ''
    ? `rule '${name}' (rules[${index}])`
    : `rule #${index + 1} (rules[${index}])`;
}
