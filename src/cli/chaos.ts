// `sluice chaos stop|start|kill <component>` and `sluice chaos pause <component> <seconds>`: act on one bus
// or component of a running `sluice up` through its supervisor.
import { Command, InvalidArgumentError } from 'commander';
import { requestJson } from '../supervisor/http.ts';
import { locateDataDir, readRunFile, type LocateFlags } from '../supervisor/run-file.ts';
import type { ProcessInfo } from '../supervisor/supervised-process.ts';
import { CommandError, describeError } from './command-error.ts';

const DATA_DIR = [
  '-d, --data-dir <dir>',
  'the data dir `sluice up` runs with (default: that of --config)',
] as const;
const CONFIG = ['-c, --config <file>', 'the topology `sluice up` runs (default: the built-in one)'] as const;

async function act(flags: LocateFlags, name: string, action: string, seconds?: number): Promise<void> {
  const run = await readRunFile(await locateDataDir(flags), 'sluice chaos');
  const query = seconds === undefined ? '' : `?seconds=${seconds}`;
  const url = `http://127.0.0.1:${run.controlPort}/api/v1/components/${encodeURIComponent(name)}/${action}${query}`;
  let info: ProcessInfo;
  try {
    info = await requestJson<ProcessInfo>(url, 'POST');
  } catch (err) {
    throw new CommandError(`sluice chaos ${action} ${name}: ${describeError(err)}`, 1);
  }
  process.stdout.write(`${info.name}: ${info.state} (pid ${info.pid ?? '-'}, restarts ${info.restarts})\n`);
}

function seconds(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n <= 0 || n > 3600)
    throw new InvalidArgumentError(`expected a number of seconds between 0 and 3600, got "${value}"`);
  return n;
}

export function chaosCommand(): Command {
  const chaos = new Command('chaos').description(
    'stop, start, kill or pause one bus or component of `sluice up`',
  );
  for (const [action, what] of [
    ['stop', 'stop it (SIGTERM) and keep it stopped'],
    ['start', 'start it again'],
    ['kill', 'SIGKILL it: a crash, which the supervisor restarts'],
  ] as const)
    chaos
      .command(action)
      .description(what)
      .argument('<component>', 'a bus or component name')
      .option(...DATA_DIR)
      .option(...CONFIG)
      .action((name: string, flags: LocateFlags) => act(flags, name, action));
  chaos
    .command('pause')
    .description('freeze it (SIGSTOP) for some seconds, then resume it (SIGCONT)')
    .argument('<component>', 'a bus or component name')
    .argument('<seconds>', 'how long', seconds)
    .option(...DATA_DIR)
    .option(...CONFIG)
    .action((name: string, s: number, flags: LocateFlags) => act(flags, name, 'pause', s));
  return chaos;
}
