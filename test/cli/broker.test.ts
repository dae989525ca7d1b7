import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = new URL('../../bin/sluice.js', import.meta.url).pathname;

async function failure(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [bin, ...args]);
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
  assert.fail(`sluice ${args.join(' ')} succeeded but should have failed`);
}

test('sluice rejects an unknown command with a clear error', async () => {
  const { code, stderr } = await failure(['no-such-command']);
  assert.notEqual(code, 0);
  assert.match(stderr, /unknown command 'no-such-command'/);
});

test('a non-numeric --port is refused, naming the flag', async () => {
  const { code, stderr } = await failure(['broker', '--port', 'abc']);
  assert.notEqual(code, 0);
  assert.match(stderr, /--port/);
  assert.match(stderr, /expected an integer, got "abc"/);
});

test('an out-of-range port and a bad durability are refused, naming each setting', async () => {
  const { code, stderr } = await failure(['broker', '--port', '70000', '--durability', 'sometimes']);
  assert.equal(code, 2);
  assert.match(stderr, /port:/);
  assert.match(stderr, /durability: expected "fsync", "none" or "interval:<milliseconds>"/);
});

test('an invalid config file is refused, naming the file and the setting', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
  const file = join(dir, 'broker.yaml');
  await writeFile(file, 'port: 9092\nretentionMs: -5\nnoSuchSetting: 1\n');
  const { code, stderr } = await failure(['broker', '--config', file]);
  assert.equal(code, 2);
  assert.ok(stderr.includes(file), stderr);
  assert.match(stderr, /retentionMs: expected -1 \(unlimited\) or a non-negative number/);
  assert.match(stderr, /noSuchSetting/);
});

test('a port already in use is reported in one line with a non-zero exit', async () => {
  const { createServer } = await import('node:net');
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
  try {
    const { code, stderr } = await failure([
      'broker',
      '--port',
      String(port),
      '--data-dir',
      dir,
      '--log-level',
      'silent',
    ]);
    assert.equal(code, 1);
    assert.match(stderr, /^sluice broker: cannot start: .*EADDRINUSE/m);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  } finally {
    blocker.close();
  }
});

test('a damaged topics.json is reported naming the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
  await writeFile(join(dir, 'topics.json'), '{ not json');
  const { code, stderr } = await failure([
    'broker',
    '--port',
    '0',
    '--data-dir',
    dir,
    '--log-level',
    'silent',
  ]);
  assert.equal(code, 1);
  assert.match(stderr, /sluice broker: cannot start: .*topics\.json/);
});
