// `sluice broker`: runs the embedded broker in the foreground until SIGINT or SIGTERM.
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadBrokerConfigFile } from '../broker/config.ts';
import { describeZodError } from '../config/errors.ts';
import { CommandError, describeError } from './command-error.ts';
import { brokerConfigSchema } from '../broker/config.ts';

function integer(value: string): number {
  if (!/^-?[0-9]+$/.test(value.trim())) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
  return Number(value);
}

interface BrokerFlags {
  config?: string;
  host?: string;
  port?: number;
  advertisedHost?: string;
  advertisedPort?: number;
  nodeId?: number;
  dataDir?: string;
  partitions?: number;
  autoCreate?: boolean;
  durability?: string;
  retentionMs?: number;
  retentionBytes?: number;
  segmentBytes?: number;
  maxFrameBytes?: number;
  adminPort?: number;
  logLevel?: string;
}

export function brokerCommand(): Command {
  return new Command('broker')
    .description('run the embedded Kafka-protocol broker')
    .option('-c, --config <file>', 'YAML or JSON file of broker settings (flags override it)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('-p, --port <port>', 'port to listen on; 0 picks a free one (default 9092)', integer)
    .option('--advertised-host <host>', 'host given to clients in metadata (default: --host)')
    .option(
      '--advertised-port <port>',
      'port given to clients in metadata (default: the bound port)',
      integer,
    )
    .option('--node-id <id>', 'broker node id (default 1)', integer)
    .option('-d, --data-dir <dir>', 'directory for the logs and metadata (default ./data)')
    .option('--partitions <n>', 'partitions of an auto-created topic (default 1)', integer)
    .addOption(new Option('--no-auto-create', 'refuse to create topics on first use'))
    .option('--durability <mode>', 'fsync | none | interval:<ms> (default fsync)')
    .option('--retention-ms <ms>', 'default time retention, -1 for unlimited (default 7 days)', integer)
    .option('--retention-bytes <bytes>', 'default size retention per partition, -1 for unlimited', integer)
    .option('--segment-bytes <bytes>', 'segment size before rolling (default 1 GiB)', integer)
    .option('--max-frame-bytes <bytes>', 'largest request accepted (default 100 MiB)', integer)
    .option('--admin-port <port>', 'serve /metrics and /healthz on this port', integer)
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent (default info)')
    .action(async (flags: BrokerFlags) => {
      const fromFile = flags.config ? await loadBrokerConfigFile(flags.config) : {};
      const fromFlags: Record<string, unknown> = {
        host: flags.host,
        port: flags.port,
        advertisedHost: flags.advertisedHost,
        advertisedPort: flags.advertisedPort,
        nodeId: flags.nodeId,
        dataDir: flags.dataDir,
        defaultPartitions: flags.partitions,
        autoCreateTopics: flags.autoCreate === false ? false : undefined,
        durability: flags.durability,
        retentionMs: flags.retentionMs,
        retentionBytes: flags.retentionBytes,
        segmentBytes: flags.segmentBytes,
        maxFrameBytes: flags.maxFrameBytes,
        adminPort: flags.adminPort,
        logLevel: flags.logLevel,
      };
      const merged = { ...fromFile };
      for (const [key, value] of Object.entries(fromFlags)) if (value !== undefined) merged[key] = value;
      const source = flags.config ? `${flags.config} and command-line flags` : 'command-line flags';
      const parsed = brokerConfigSchema.safeParse(merged);
      if (!parsed.success) throw describeZodError(parsed.error, source);

      // Listen for the signals before announcing the port: whoever reads that line may signal at once.
      const stopRequested = new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      let broker;
      try {
        // Loaded here, not at the top: every other sub-command (and each `sluice up` child) starts faster.
        const { startBroker } = await import('../broker/broker.ts');
        broker = await startBroker(parsed.data);
      } catch (err) {
        // Startup problems (port taken, unreadable data directory, damaged metadata) are the operator's
        // to fix: one clear line, no stack trace, and a non-zero exit.
        throw new CommandError(`sluice broker: cannot start: ${describeError(err)}`, 1);
      }
      process.stdout.write(`sluice broker listening on ${broker.host}:${broker.port}\n`);
      if (broker.adminPort !== undefined)
        process.stdout.write(`admin endpoint on http://${broker.host}:${broker.adminPort}\n`);
      await stopRequested;
      await broker.close();
    });
}
