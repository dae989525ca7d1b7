import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEMO_RULES_YAML } from '../../../src/services/alerting/demo-rules.ts';
import { loadRulesFile, parseRules, RulesFileError } from '../../../src/services/alerting/rules.ts';

const VALID_RULE = `
  - name: Ok
    metric: queue.depth
    aggregation: max
    window: 1m
    op: '>'
    threshold: 1`;

/** The problems parseRules reports for `yaml`. */
function problems(yaml: string): string[] {
  try {
    parseRules(yaml, 'rules.yaml');
  } catch (error) {
    assert.ok(error instanceof RulesFileError, String(error));
    assert.match(error.message, /^invalid rules file rules\.yaml:/);
    return error.problems;
  }
  assert.fail('the rules were accepted');
}

test('an invalid rule is refused, naming the rule (by name, else by index) and the field', () => {
  assert.deepEqual(
    problems(`rules:${VALID_RULE}
  - name: Broken
    metric: queue.depth
    aggregation: median
    window: 1m
    op: '>'
    threshold: high`),
    [
      `rule 'Broken' (rules[1]), field 'aggregation': Invalid option: expected one of "sum"|"avg"|"min"|"max"|"count"|"rate"|"last"|"p50"|"p90"|"p95"|"p99"`,
      `rule 'Broken' (rules[1]), field 'threshold': Invalid input: expected number, received string`,
    ],
  );
  assert.deepEqual(
    problems(`rules:
  - metric: queue.depth
    aggregation: max
    window: 1m
    op: '>'
    threshold: 1`),
    [`rule #1 (rules[0]), field 'name': Invalid input: expected string, received undefined`],
  );
});

test('durations, matchers, templates, unknown fields and duplicate names are checked', () => {
  const rule = (extra: string) =>
    `rules:\n  - name: R\n    metric: m\n    aggregation: max\n    op: '>'\n    threshold: 1\n${extra}`;
  assert.deepEqual(problems(rule('    window: 5 minutes')), [
    `rule 'R' (rules[0]), field 'window': expected a duration such as 500ms, 10s, 5m, 4h or 1d (or milliseconds), got "5 minutes"`,
  ]);
  assert.match(
    problems(rule('    window: 1m\n    for: 1 hour'))[0],
    /^rule 'R' \(rules\[0\]\), field 'for': /,
  );
  assert.deepEqual(problems(rule('    window: 1m\n    match: ["code=~5(("]')), [
    `rule 'R' (rules[0]), field 'match.0': "code=~5((": invalid regular expression: Invalid regular expression: /^(?:5(()$/: Unterminated group`,
  ]);
  assert.deepEqual(problems(rule('    window: 1m\n    match: ["just text"]')), [
    `rule 'R' (rules[0]), field 'match.0': "just text" is not a matcher (label=value, label!=value, label=~re, label!~re)`,
  ]);
  assert.deepEqual(problems(rule('    window: 1m\n    annotations: { summary: "{{ .Value }}" }')), [
    `rule 'R' (rules[0]), field 'annotations.summary': unknown placeholder {{ .Value }} (use {{ $value }} or {{ $labels.<name> }})`,
  ]);
  assert.deepEqual(problems(rule('    window: 1m\n    treshold: 2')), [
    `rule 'R' (rules[0]), field '(the rule itself)': Unrecognized key: "treshold"`,
  ]);
  assert.deepEqual(problems(`rules:${VALID_RULE}${VALID_RULE}`), [
    `rule 'Ok' (rules[1]), field 'name': the same name as rules[0]`,
  ]);
});

test('file-level problems name the field; a file that is not YAML names the line', () => {
  assert.deepEqual(problems('rules: []'), [`field 'rules': at least one rule`]);
  assert.deepEqual(problems(`route: { group_wait: soon }\nrules:${VALID_RULE}`), [
    `field 'route.group_wait': expected a duration such as 500ms, 10s, 5m, 4h or 1d (or milliseconds), got "soon"`,
  ]);
  assert.match(problems('rules: [\n  - name: x\n')[0], /^not YAML at line \d+: /);
});

test('loadRulesFile reads a file and names it in errors; the built-in demo rules are valid', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-rules-'));
  try {
    const file = path.join(dir, 'rules.yaml');
    await writeFile(file, `rules:${VALID_RULE}`);
    assert.equal(loadRulesFile(file).rules[0].name, 'Ok');
    assert.throws(
      () => loadRulesFile(path.join(dir, 'missing.yaml')),
      /invalid rules file .*missing\.yaml:\n {2}cannot read it: ENOENT/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const demo = parseRules(DEMO_RULES_YAML, 'demo');
  assert.deepEqual(
    demo.rules.map((r) => r.name),
    ['HighErrorRatio', 'HighLatencyP99'],
  );
});

test("docs/alerting.md's rules example is a valid rules file", async () => {
  const doc = await readFile(new URL('../../../docs/alerting.md', import.meta.url), 'utf8');
  // The rules example is the yaml block with a top-level `rules:` (the first one is a topology excerpt).
  const example = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].find((m) => /^rules:/m.test(m[1]));
  assert.ok(example, 'docs/alerting.md has a rules example');
  const rules = parseRules(example[1], 'docs/alerting.md');
  assert.deepEqual(
    rules.rules.map((r) => r.name),
    ['HighErrorRatio', 'HighLatencyP99', 'PaymentsDbPoolExhausted'],
  );
  assert.deepEqual(
    rules.rules[2].match.map((m) => m.op),
    ['=', '!~'],
  );
  assert.equal(rules.route.group_wait, 30_000);
});
