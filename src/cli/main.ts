/** `bin/manifold`: the hub's command line. */
import { Command } from 'commander';
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import { startHub, stopOnSignals } from '../main/serve.js';
import { registerAdminCommands } from './admin-commands.js';
import { registerEdiCommands } from './edi-commands.js';
import { registerMapCommands } from './map-commands.js';
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

registerAdminCommands(program);
registerEdiCommands(program);
registerMapCommands(program);
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
