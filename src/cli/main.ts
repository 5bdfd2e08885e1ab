/** `bin/manifold`: the hub's command line. */
import { Command } from 'commander';
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import { startHub, stopOnSignals } from '../main/serve.js';
import { registerAdminCommands } from './admin-commands.js';
import { registerEdiCommands } from './edi-commands.js';
import { runOutboundMapTest } from './map-outbound.js';
import { registerSimulateCommand } from './simulate/simulate-command.js';

const program = new Command();
program.name('manifold').description('Manifold distribution sync hub').showHelpAfterError();

program
  .command('serve')
  .description('run the hub (API and delivery) with a configuration file')
  .requiredOption('-c, --config <file>', 'configuration file (YAML)')
  .action(async (options: { config: string }) => {
    const config = loadOrExit(options.config);
    const running = await startHub(config);
    stopOnSignals(running);
  });

program
  .command('check-config')
  .description('validate a configuration file; exits 1 listing every problem with its file and line')
  .argument('<file>', 'configuration file (YAML)')
  .action((file: string) => {
    const config = loadOrExit(file);
    process.stdout.write(
      `${file}: ok (${config.systems.size} systems, ${config.locations.size} locations, ${config.channels.size} channels, ${config.subscriptions.length} subscriptions)\n`,
    );
  });

// `map test`: a mapping tried without a hub. With `--subscription`, the outbound request a subscription
// would send (src/cli/map-outbound.ts). Bad flags exit 2 (commander's own exit code is 1).
program
  .command('map')
  .description('try mappings without a hub')
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .command('test')
  .description(
    'print the request a subscription would send for a CloudEvent and, with --response, how the answer reads (exit 1: an expression failed; 2: bad flags or config)',
  )
  .option('-c, --config <file>', 'configuration file (YAML)')
  .option('--subscription <name>', 'the subscription whose outbound call to try')
  .option('--event <file>', 'the CloudEvent (JSON) to send')
  .option('--response <file>', 'an answer to read: {"status", "headers"?, "body"} (JSON)')
  .option('--lookup <file>', 'the lookup\'s answer: {"status", "body"} (JSON), bound as $lookup')
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .action(
    async (options: {
      config?: string;
      subscription?: string;
      event?: string;
      response?: string;
      lookup?: string;
    }) => {
      if (options.subscription === undefined || options.config === undefined) {
        process.stderr.write(
          'manifold map test: give --config FILE --subscription NAME --event FILE [--response FILE] [--lookup FILE]\n',
        );
        process.exitCode = 2;
        return;
      }
      process.exitCode = await runOutboundMapTest({
        ...options,
        config: options.config,
        subscription: options.subscription,
      });
    },
  );

registerAdminCommands(program);
registerEdiCommands(program);
registerSimulateCommand(program);

function loadOrExit(file: string) {
  try {
    return loadConfigFile(file);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n${error.issues.length} problem(s) in ${file}\n`);
      process.exit(1);
    }
    throw error;
  }
}

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`manifold: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
