// The `sluice` command line: one sub-command per file in this folder, wired together here.
import { Command } from 'commander';
import { ConfigError } from '../config/errors.ts';
import { VERSION } from '../version.ts';
import { brokerCommand } from './broker.ts';
import { CommandError } from './command-error.ts';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('sluice')
    .description('Event-driven telemetry backbone speaking the Apache Kafka protocol.')
    .version(VERSION, '-V, --version', 'print the version')
    .showHelpAfterError();
  program.addCommand(brokerCommand());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp();
    return;
  }
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // Configuration mistakes are the user's to fix: say what is wrong, without a stack trace.
    if (err instanceof ConfigError) {
      process.stderr.write(`sluice: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    if (err instanceof CommandError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    throw err;
  }
}

// Run from source (`node src/cli/main.ts …`, as the tests and the supervisor's children in a checkout do);
// bin/sluice.js imports the compiled module, where this is false.
if (import.meta.main) await main(process.argv);
