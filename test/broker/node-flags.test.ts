// The node flags a broker runs with: the list (default, or SLUICE_BROKER_NODE_FLAGS), what a process still
// lacks, and `sluice broker` run by hand (bin/sluice.js), which re-executes itself in place to get them:
// same pid, the flags on its command line, a user's own choice left alone, a bad setting refused.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import {
  BROKER_NODE_FLAGS_ENV,
  DEFAULT_BROKER_NODE_FLAGS,
  brokerNodeFlags,
  missingNodeFlags,
} from '../../src/broker/node-flags.ts';
import { startBrokerProcess } from '../helpers/broker-process.ts';

const BIN = new URL('../../bin/sluice.js', import.meta.url).pathname;
const SEMI_SPACE = '--max-semi-space-size=1';

test('the default list, replaced by SLUICE_BROKER_NODE_FLAGS, emptied by an empty one', () => {
  assert.deepEqual(brokerNodeFlags({}), [SEMI_SPACE]);
  assert.deepEqual(DEFAULT_BROKER_NODE_FLAGS, [SEMI_SPACE]);
  assert.deepEqual(brokerNodeFlags({ [BROKER_NODE_FLAGS_ENV]: ' --max-semi-space-size=4  --trace-gc ' }), [
    '--max-semi-space-size=4',
    '--trace-gc',
  ]);
  assert.deepEqual(brokerNodeFlags({ [BROKER_NODE_FLAGS_ENV]: '' }), []);
});

test('a SLUICE_BROKER_NODE_FLAGS entry that is not a flag is refused, naming the variable and the entry', () => {
  assert.throws(
    () => brokerNodeFlags({ [BROKER_NODE_FLAGS_ENV]: '--trace-gc max-semi-space-size=1' }),
    /^Error: SLUICE_BROKER_NODE_FLAGS: "max-semi-space-size=1" is not a node flag/,
  );
});

test('a flag already given by name, on the command line or in NODE_OPTIONS, is not added again', () => {
  const wanted = [SEMI_SPACE, '--trace-gc'];
  assert.deepEqual(missingNodeFlags(wanted, []), wanted);
  assert.deepEqual(missingNodeFlags(wanted, ['--max-semi-space-size=16']), ['--trace-gc']);
  assert.deepEqual(missingNodeFlags(wanted, ['--max_semi_space_size=16']), ['--trace-gc']);
  assert.deepEqual(missingNodeFlags(wanted, [], '--trace-gc --max-semi-space-size=8'), []);
  assert.deepEqual(missingNodeFlags(wanted, ['--cpu-prof'], '--max-old-space-size=512'), wanted);
});

/** The node flags of a running process: its command line up to the script (bin/sluice.js). */
async function nodeFlagsOf(pid: number): Promise<string[]> {
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  return argv.slice(1, argv.indexOf(BIN));
}

async function brokerWith(t: TestContext, env: NodeJS.ProcessEnv): Promise<string[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-node-flags-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const broker = await startBrokerProcess(t, { dataDir, durability: 'none', env });
  const flags = await nodeFlagsOf(broker.pid);
  // The same process the caller started: SIGKILL to its pid ends the broker.
  assert.deepEqual(await broker.kill('SIGKILL'), { code: null, signal: 'SIGKILL' });
  return flags;
}

function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of names) delete env[name];
  return env;
}

test('`sluice broker` run by hand gets the flags in place: the pid the caller started runs with them', async (t) => {
  const flags = await brokerWith(t, envWithout(BROKER_NODE_FLAGS_ENV, 'NODE_OPTIONS'));
  assert.ok(flags.includes(SEMI_SPACE), `node flags: ${flags.join(' ')}`);
});

test("`sluice broker` keeps the user's own choice: SLUICE_BROKER_NODE_FLAGS, or the flag in NODE_OPTIONS", async (t) => {
  const none = await brokerWith(t, { ...envWithout('NODE_OPTIONS'), [BROKER_NODE_FLAGS_ENV]: '' });
  assert.deepEqual(none, []);
  const other = await brokerWith(t, {
    ...envWithout('NODE_OPTIONS'),
    [BROKER_NODE_FLAGS_ENV]: '--max-semi-space-size=2 --stack-trace-limit=20',
  });
  assert.deepEqual(other, ['--max-semi-space-size=2', '--stack-trace-limit=20']);
  const viaNodeOptions = await brokerWith(t, {
    ...envWithout(BROKER_NODE_FLAGS_ENV),
    NODE_OPTIONS: '--max-semi-space-size=4',
  });
  assert.deepEqual(viaNodeOptions, [], 'NODE_OPTIONS already sets it');
});

test('`sluice broker` with a bad SLUICE_BROKER_NODE_FLAGS exits 2 saying what is wrong', async () => {
  const run = promisify(execFile);
  const failed = await run(process.execPath, [BIN, 'broker', '--port', '0'], {
    env: { ...process.env, [BROKER_NODE_FLAGS_ENV]: 'semi=1' },
  }).then(
    () => assert.fail('the broker started'),
    (err: unknown) => err as { code: number; stderr: string },
  );
  assert.equal(failed.code, 2);
  assert.match(failed.stderr, /^sluice broker: SLUICE_BROKER_NODE_FLAGS: "semi=1" is not a node flag/);
});
