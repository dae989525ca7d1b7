// The `sluice` command line: one sub-command per file in this folder, wired together here.
import { Command } from 'commander';
import { VERSION } from '../version.ts';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('sluice')
    .description('Event-driven telemetry backbone speaking the Apache Kafka protocol.')
    .version(VERSION, '-V, --version', 'print the version')
    .showHelpAfterError();
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp();
    return;
  }
  await program.parseAsync(argv);
}
