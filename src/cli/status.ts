// `sluice status [--data-dir dir] [--json]`: every bus and component of a running `sluice up`.
import { Command } from 'commander';
import { locateDataDir, readRunFile, type LocateFlags } from '../supervisor/run-file.ts';
import { collectReport, renderReport } from '../supervisor/status-report.ts';
import { CommandError, describeError } from './command-error.ts';

export function statusCommand(): Command {
  return new Command('status')
    .description('show every bus and component of a running `sluice up`: state, breakers, buffers, lag')
    .option('-d, --data-dir <dir>', 'the data dir `sluice up` runs with (default: that of --config)')
    .option(
      '-c, --config <file>',
      'the topology `sluice up` runs (default: the built-in one, data in ./data)',
    )
    .option('--json', 'print JSON')
    .action(async (flags: LocateFlags & { json?: boolean }) => {
      const run = await readRunFile(await locateDataDir(flags), 'sluice status');
      let report;
      try {
        report = await collectReport(run.pid, run.controlPort);
      } catch (err) {
        throw new CommandError(
          `sluice status: the supervisor (pid ${run.pid}) does not answer: ${describeError(err)}`,
          1,
        );
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${renderReport(report.components).join('\n')}\n`);
    });
}
