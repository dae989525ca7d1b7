// `sluice up [--config file] [--data-dir dir]`: the whole topology on this machine (src/supervisor/up.ts).
import { Command } from 'commander';

export function upCommand(): Command {
  return new Command('up')
    .description('start every bus, consumer service and demo producer of a topology, each as a child process')
    .option('-c, --config <file>', 'topology file (YAML or JSON; default: the built-in topology)')
    .option(
      '-d, --data-dir <dir>',
      "where buses, buffers and stores keep their files (overrides the topology's dataDir)",
    )
    .action(async (flags: { config?: string; dataDir?: string }) => {
      const { runUp } = await import('../supervisor/up.ts');
      await runUp(flags);
    });
}
