/** `bin/manifold simulate`: plays every system of the configuration against a running hub (docs/simulator.md). */
import type { Command } from 'commander';
import { ConfigError } from '../../config/load-config.js';
import { parseDuration, SimulateOptionError } from './faults.js';
import { exitCodeOf, formatReport, notDrainedMessage } from './report.js';
import { runSimulation } from './simulation.js';
import { SIM_SFTP_KEYS, sftpRecipeEnv, ThreePlSetupError } from './threepl.js';

interface CommandOptions {
  hub?: string;
  config: string;
  ordersPerSecond: string;
  duration: string;
  drainTimeout: string;
  drain: boolean;
  faults?: string;
  adminKey?: string;
  seed?: string;
  json?: boolean;
  quiet?: boolean;
  sftpKeys: string;
  sftpEnv?: string | boolean;
}

/** Adds `simulate` to the program. */
export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'play the ERP, warehouses, TMS, storefront, portal and EDI partner of a configuration against a running hub, with faults, and report',
    )
    .option('--hub <url>', 'base URL of the running hub (default: server.host and server.port of --config)')
    .option('-c, --config <file>', 'the configuration the hub runs with', 'examples/manifold.yaml')
    .option('--orders-per-second <n>', 'orders placed per second over every channel', '2')
    .option('--duration <d>', 'how long to place orders: 30s, 2m, …', '60s')
    .option(
      '--drain-timeout <d>',
      "longest wait for the run's deliveries to drain afterwards (exit 3 if they do not)",
      '120s',
    )
    .option(
      '--no-drain',
      'stop the receivers as soon as the traffic stops, without waiting for the deliveries',
    )
    .option(
      '--faults <list>',
      'comma-separated: <system>-down:<for>[@<at>], slow:<system>:<delay>, duplicates[:<share>], out-of-order[:<share>]',
    )
    .option(
      '--admin-key <key>',
      'admin key for reads (default: server.adminKey of --config, then $MANIFOLD_ADMIN_KEY)',
    )
    .option('--seed <n>', 'seed of the random choices (the same seed makes the same choices)')
    .option(
      '--sftp-keys <dir>',
      "key folder of the simulated 3PLs' SFTP servers (host and client keys, made on first use)",
      SIM_SFTP_KEYS,
    )
    .option(
      '--sftp-env [port]',
      'print the sftp-3pl recipe variables pointing the hub at the simulated 3PL (default port 2222), and exit',
    )
    .option('--json', 'print the report as JSON')
    .option('--quiet', 'no progress lines on stderr')
    .action(async (options: CommandOptions) => {
      try {
        if (options.sftpEnv !== undefined) {
          const port = options.sftpEnv === true ? 2222 : Number(options.sftpEnv);
          if (!(Number.isInteger(port) && port > 0 && port < 65536))
            throw new SimulateOptionError(`--sftp-env: '${String(options.sftpEnv)}' is not a port`);
          for (const [name, value] of Object.entries(sftpRecipeEnv(options.sftpKeys, port)))
            process.stdout.write(`export ${name}='${value}'\n`);
          return;
        }
        const ordersPerSecond = Number(options.ordersPerSecond);
        if (!(ordersPerSecond > 0 && ordersPerSecond <= 1000))
          throw new SimulateOptionError(
            `--orders-per-second: '${options.ordersPerSecond}' must be a number in (0, 1000]`,
          );
        const report = await runSimulation({
          config: options.config,
          ...(options.hub === undefined ? {} : { hub: options.hub }),
          ...(options.adminKey === undefined ? {} : { adminKey: options.adminKey }),
          ...(options.faults === undefined ? {} : { faults: options.faults }),
          ...(options.seed === undefined ? {} : { seed: Number(options.seed) }),
          ordersPerSecond,
          sftpKeys: options.sftpKeys,
          durationMs: parseDuration(options.duration, '--duration'),
          drainTimeoutMs: parseDuration(options.drainTimeout, '--drain-timeout'),
          drain: options.drain,
          ...(options.quiet ? {} : { log: (line: string) => process.stderr.write(`${line}\n`) }),
        });
        process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
        if (report.drainWaited && !report.drained)
          process.stderr.write(`manifold simulate: ${notDrainedMessage(report)}\n`);
        process.exitCode = exitCodeOf(report);
      } catch (error) {
        if (error instanceof ConfigError) {
          process.stderr.write(`${error.message}\n`);
          process.exit(2);
        }
        if (error instanceof SimulateOptionError || error instanceof ThreePlSetupError) {
          process.stderr.write(`manifold simulate: ${error.message}\n`);
          process.exit(2);
        }
        throw error;
      }
    });
}
