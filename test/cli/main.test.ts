import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = new URL('../../bin/sluice.js', import.meta.url).pathname;
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

test('sluice --version prints the package version', async () => {
  const { stdout } = await run(process.execPath, [bin, '--version']);
  assert.equal(stdout.trim(), version);
});

test('sluice with no arguments prints help', async () => {
  const { stdout } = await run(process.execPath, [bin]);
  assert.match(stdout, /Usage: sluice/);
});
