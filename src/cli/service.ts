// `sluice service <component> --topology <resolved.json>`: runs one component of a resolved topology in
// this process (how `sluice up` starts each one) until SIGINT or SIGTERM.
import { Command } from 'commander';
import { readResolvedTopology } from '../topology/resolve.ts';
import { CommandError, describeError } from './command-error.ts';

export function serviceCommand(): Command {
  return new Command('service')
    .description('run one component of a resolved topology (sluice up starts each one this way)')
    .argument('<name>', 'the component (a key of `components` in the topology)')
    .requiredOption('--topology <file>', 'the resolved topology JSON written by sluice up')
    .action(async (name: string, flags: { topology: string }) => {
      const topology = await readResolvedTopology(flags.topology);
      if (topology.components[name] === undefined)
        throw new CommandError(
          `sluice service: ${flags.topology} has no component '${name}' (it has: ${Object.keys(topology.components).join(', ') || 'none'})`,
          2,
        );
      const stopRequested = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      let running;
      try {
        const { startComponent } = await import('../services/start-component.ts');
        running = await startComponent(topology, name);
      } catch (err) {
        throw new CommandError(`sluice service ${name}: cannot start: ${describeError(err)}`, 1);
      }
      process.stdout.write(`sluice service ${name} listening on http://127.0.0.1:${running.httpPort}/\n`);
      await stopRequested;
      await running.stop();
      process.exit(0);
    });
}
