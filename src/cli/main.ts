// The `sluice` command line: one sub-command per file in this folder, wired together here.
import { Command } from 'commander';
import { ConfigError } from '../config/errors.ts';
import { VERSION } from '../version.ts';
import { watchSupervisor } from '../supervisor/watch-supervisor.ts';
import { brokerCommand } from './broker.ts';
import { chaosCommand } from './chaos.ts';
import { CommandError } from './command-error.ts';
import { serviceCommand } from './service.ts';
import { statusCommand } from './status.ts';
import { upCommand } from './up.ts';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('sluice')
    .description('Event-driven telemetry backbone speaking the Apache Kafka protocol.')
    .version(VERSION, '-V, --version', 'print the version')
    .showHelpAfterError();
  program.addCommand(brokerCommand());
  program.addCommand(upCommand());
  program.addCommand(statusCommand());
  program.addCommand(chaosCommand());
  program.addCommand(serviceCommand());
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
// A child of `sluice up` (started with an IPC channel) stops when its supervisor goes away.
if (import.meta.main) {
  watchSupervisor();
  await main(process.argv);
}
