/** `bin/manifold`: the hub's command line. */
import { Command } from 'commander';
import { ConfigError, formatIssue, loadConfigFile } from '../config/load-config.js';
import { startHub, stopOnSignals } from '../main/serve.js';
import { registerAdminCommands } from './admin-commands.js';
import { registerEdiCommands } from './edi-commands.js';
import { registerInitCommand } from './init-commands.js';
import { runInboundMapTest } from './map-commands.js';
import { type MapDiffOptions, runMapDiff } from './map-diff.js';
import { runOutboundMapTest } from './map-outbound.js';
import { registerSimulateCommand } from './simulate/simulate-command.js';
import { registerBackupCommand } from './store-commands.js';
import { registerXrefCommands } from './xref-commands.js';

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
  .description(
    'validate a configuration file; exits 1 listing every problem with its file and line, prints warnings (exit 0) for what loads but is probably not meant',
  )
  .argument('<file>', 'configuration file (YAML)')
  .action((file: string) => {
    const config = loadOrExit(file, true);
    process.stdout.write(
      `${file}: ok (${config.systems.size} systems, ${config.locations.size} locations, ${config.channels.size} channels, ${config.subscriptions.length} subscriptions)\n`,
    );
  });

// `map test`: a mapping tried without a hub. With `--subscription`, the outbound request a subscription
// would send (src/cli/map-outbound.ts); with `--system` and `--route`, the CloudEvents a native webhook
// route makes of a payload (src/cli/map-commands.ts). Bad flags exit 2 (commander's own exit code is 1).
const collect = (value: string, previous: string[]) => [...previous, value];

const map = program
  .command('map')
  .description('try mappings without a hub, or preview a change over the traffic a hub kept')
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

map
  .command('test')
  .description(
    'outbound (--subscription): the request a subscription would send for a CloudEvent and, with --response, how the answer reads; inbound (--system --route --payload): the CloudEvents a webhook route makes of a payload (exit 1: a mapping failed; 2: bad flags or config)',
  )
  .option('-c, --config <file>', 'configuration file (YAML)')
  .option('--subscription <name>', 'the subscription whose outbound call to try')
  .option('--event <file>', 'the CloudEvent (JSON) to send')
  .option('--response <file>', 'an answer to read: {"status", "headers"?, "body"} (JSON)')
  .option('--lookup <file>', 'the lookup\'s answer: {"status", "body"} (JSON), bound as $lookup')
  .option('--system <name>', 'inbound: the sending system (a system with inbound:)')
  .option('--route <name>', 'inbound: the route under systems.<name>.inbound.routes')
  .option('--payload <file>', 'inbound: the request body (JSON or XML)')
  .option('--header <header>', "inbound: a request header, 'name: value' (repeatable)", collect, [])
  .option('--query <param>', "inbound: a query parameter, 'name=value' (repeatable)", collect, [])
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .action(
    async (options: {
      config?: string;
      subscription?: string;
      event?: string;
      response?: string;
      lookup?: string;
      system?: string;
      route?: string;
      payload?: string;
      header: string[];
      query: string[];
    }) => {
      if (
        options.subscription === undefined &&
        options.config !== undefined &&
        options.system !== undefined &&
        options.route !== undefined &&
        options.payload !== undefined
      ) {
        process.exitCode = await runInboundMapTest({
          config: options.config,
          system: options.system,
          route: options.route,
          payload: options.payload,
          header: options.header,
          query: options.query,
        });
        return;
      }
      if (options.subscription === undefined || options.config === undefined) {
        process.stderr.write(
          "manifold map test: give --config FILE --subscription NAME --event FILE [--response FILE] [--lookup FILE],\n  or --config FILE --system NAME --route NAME --payload FILE [--header 'k: v'] [--query k=v]\n",
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

// `map diff`: a new configuration's inbound routes over the requests a running hub kept (src/cli/map-diff.ts).
map
  .command('diff')
  .description(
    "re-map the inbound requests a hub kept with a new configuration's routes and compare with the events they produced (exit 1: a request now fails; 2: bad flags, config or hub)",
  )
  .requiredOption('-c, --config <file>', 'the new configuration file (YAML)')
  .option('--hub <url>', 'base URL of the running hub', 'http://127.0.0.1:8080')
  .option('--key <key>', 'admin key (default: $MANIFOLD_ADMIN_KEY)')
  .option('--system <name>', 'only this system (default: every system with inbound:)')
  .option('--route <name>', 'only this route')
  .option('--since <time>', 'only requests received at or after (ISO 8601)')
  .option('--json', 'print the report as JSON')
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .action(async (options: MapDiffOptions) => {
    process.exitCode = await runMapDiff(options);
  });

registerAdminCommands(program);
registerEdiCommands(program);
registerInitCommand(program);
registerSimulateCommand(program);
registerXrefCommands(program);
registerBackupCommand(program);

/** Loads a configuration; errors exit 1 listing every problem; with `printWarnings`, warnings go to stderr. */
function loadOrExit(file: string, printWarnings = false) {
  try {
    const config = loadConfigFile(file);
    const warnings = config.warnings ?? [];
    if (printWarnings && warnings.length > 0)
      process.stderr.write(
        `${warnings.map(formatIssue).join('\n')}\n${warnings.length} warning(s) in ${file}\n`,
      );
    return config;
  } catch (error) {
    if (error instanceof ConfigError) {
      const all = [...error.issues, ...error.warnings].sort((a, b) => a.line - b.line || a.column - b.column);
      const counts = `${error.issues.length} problem(s)${error.warnings.length > 0 ? ` and ${error.warnings.length} warning(s)` : ''}`;
      process.stderr.write(`${all.map(formatIssue).join('\n')}\n${counts} in ${file}\n`);
      process.exit(1);
    }
    throw error;
  }
}

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`manifold: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
