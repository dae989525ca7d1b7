// The generator itself: its command line (missing input, --check, stale files), its refusal of
// definitions it does not understand, and that the committed output is what it generates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kebabCase, BANNER } from '../../scripts/protocol-gen/emit-module.ts';
import { parseMessage } from '../../scripts/protocol-gen/model.ts';
import { parseVersions, versionCond } from '../../scripts/protocol-gen/versions.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const script = join(root, 'scripts/generate-protocol.ts');

async function generator(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const REQUEST = `// A comment, as in Kafka's files.
{
  "apiKey": 900, "type": "request", "name": "WidgetRequest",
  "validVersions": "0-2", "flexibleVersions": "1+",
  "fields": [
    { "name": "Name", "type": "string", "versions": "0+", "nullableVersions": "2+" },
    { "name": "Limit", "type": "int32", "versions": "1+", "default": "0x7fffffff" },
    { "name": "Parts", "type": "[]Part", "versions": "0+", "fields": [
      { "name": "Id", "type": "uuid", "versions": "0+" }
    ]},
    { "name": "Hint", "type": "string", "versions": "1+", "taggedVersions": "1+", "tag": 0,
      "nullableVersions": "1+", "default": "null" }
  ]
}`;
const RESPONSE = `{
  "apiKey": 900, "type": "response", "name": "WidgetResponse",
  "validVersions": "0-2", "flexibleVersions": "1+",
  "fields": [ { "name": "ErrorCode", "type": "int16", "versions": "0+" } ]
}`;

function fixture(): { dir: string; messages: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-gen-'));
  const messages = join(dir, 'messages');
  mkdirSync(messages);
  writeFileSync(join(messages, 'WidgetRequest.json'), REQUEST);
  writeFileSync(join(messages, 'WidgetResponse.json'), RESPONSE);
  return { dir, messages, out: join(dir, 'out') };
}

test('a missing messages directory is a clear error naming the path', async () => {
  const missing = join(tmpdir(), 'sluice-no-such-dir');
  const result = await generator('--messages-dir', missing, '--out-dir', join(tmpdir(), 'unused'));
  assert.equal(result.code, 2);
  assert.match(result.stderr, new RegExp(`messages directory not found: ${missing}`));
});

test('generate writes deterministic, bannered modules; --check reports differing, missing and stale files', async (t) => {
  const { dir, messages, out } = fixture();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = await generator('--messages-dir', messages, '--out-dir', out);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['index.ts', 'widget.ts']);
  const widget = readFileSync(join(out, 'widget.ts'), 'utf8');
  assert.ok(widget.startsWith(`${BANNER}\n`));
  assert.match(widget, /export interface WidgetRequest \{/);
  assert.match(widget, /hint\?: string \| null;/);
  assert.match(widget, /export const WidgetApi: ApiDefinition<WidgetRequest, WidgetResponse>/);
  assert.match(widget, /limit: version >= 1 \? r\.int32\(\) : 2147483647,/);

  const again = await generator('--messages-dir', messages, '--out-dir', out);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /0 written/);
  assert.equal(readFileSync(join(out, 'widget.ts'), 'utf8'), widget, 'byte-for-byte the same');
  assert.equal((await generator('--messages-dir', messages, '--out-dir', out, '--check')).code, 0);

  writeFileSync(join(out, 'widget.ts'), widget.replace('WidgetRequest', 'Edited'));
  rmSync(join(out, 'index.ts'));
  writeFileSync(join(out, 'old.ts'), `${BANNER}\nexport {};\n`);
  writeFileSync(join(out, 'hand-written.ts'), 'export {};\n');
  const check = await generator('--messages-dir', messages, '--out-dir', out, '--check');
  assert.equal(check.code, 1);
  assert.match(check.stderr, /differs: widget\.ts/);
  assert.match(check.stderr, /missing: index\.ts/);
  assert.match(check.stderr, /stale: {3}old\.ts/);
  assert.doesNotMatch(check.stderr, /hand-written/);

  assert.equal((await generator('--messages-dir', messages, '--out-dir', out)).code, 0);
  assert.deepEqual(
    readdirSync(out).sort(),
    ['hand-written.ts', 'index.ts', 'widget.ts'],
    'stale generated file removed',
  );
});

test('definitions the generator does not understand are refused with the file and field', () => {
  const bad = (fields: string) =>
    `{ "apiKey": 1, "type": "request", "name": "XRequest", "validVersions": "0-3", "flexibleVersions": "2+", "fields": [${fields}] }`;
  assert.throws(
    () => parseMessage(bad('{ "name": "A", "type": "int32", "versions": "0+", "frobnicate": 1 }'), 'X.json'),
    /X\.json XRequest\.A: unknown field key "frobnicate"/,
  );
  assert.throws(
    () =>
      parseMessage(
        bad('{ "name": "A", "type": "int32", "versions": "0+", "nullableVersions": "0+" }'),
        'X.json',
      ),
    /int32 cannot be nullable/,
  );
  assert.throws(
    () =>
      parseMessage(bad('{ "name": "A", "type": "string", "versions": "0+", "default": "null" }'), 'X.json'),
    /default is null but the field is never nullable/,
  );
  assert.throws(
    () => parseMessage(bad('{ "name": "A", "type": "int8", "versions": "0+", "default": "300" }'), 'X.json'),
    /default 300 is out of range for int8/,
  );
  assert.throws(
    () => parseMessage(bad('{ "name": "A", "type": "[]Missing", "versions": "0+" }'), 'X.json'),
    /struct type Missing is not defined/,
  );
  assert.throws(
    () =>
      parseMessage(
        bad('{ "name": "A", "type": "int32", "versions": "0+", "taggedVersions": "2+", "tag": 0 }'),
        'X.json',
      ),
    /taggedVersions must equal versions/,
  );
  assert.throws(
    () => parseMessage(bad('{ "name": "A", "type": "map<int32>", "versions": "0+" }'), 'X.json'),
    /unknown type map<int32>/,
  );
  assert.throws(
    () =>
      parseMessage(
        '{ "type": "request", "name": "X", "validVersions": "0+", "apiKey": 1, "fields": [] }',
        'X.json',
      ),
    /closed range/,
  );
});

test('version ranges and the conditions generated from them', () => {
  assert.deepEqual(parseVersions('3+', 'x'), { min: 3, max: Infinity });
  assert.deepEqual(parseVersions('2-7', 'x'), { min: 2, max: 7 });
  assert.deepEqual(parseVersions('5', 'x'), { min: 5, max: 5 });
  assert.equal(parseVersions('none', 'x'), null);
  assert.throws(() => parseVersions('7-2', 'x'), /empty version range/);
  assert.throws(() => parseVersions('v1', 'x'), /cannot parse/);
  const ctx = { min: 0, max: 11 };
  assert.equal(versionCond({ min: 0, max: Infinity }, ctx), true);
  assert.equal(versionCond({ min: 3, max: Infinity }, ctx), 'version >= 3');
  assert.equal(versionCond({ min: 3, max: 7 }, ctx), 'version >= 3 && version <= 7');
  assert.equal(versionCond({ min: 12, max: Infinity }, ctx), false);
  assert.equal(versionCond(null, ctx), false);
  assert.equal(kebabCase('ApiVersions'), 'api-versions');
  assert.equal(kebabCase('KRaftVersionRecord'), 'k-raft-version-record');
});

test(
  'the committed src/protocol/messages is what the generator produces',
  { skip: !existsSync(join(root, '../shared/kafka-messages')) && 'no ../shared/kafka-messages here' },
  async () => {
    const result = await generator('--check');
    assert.equal(result.code, 0, result.stderr);
  },
);
