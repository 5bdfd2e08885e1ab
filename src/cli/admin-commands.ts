/** `bin/manifold replay …` and `bin/manifold exceptions …`: operations against a running hub. */
import type { Command } from 'commander';
import { parseDurationMs } from '../domain/duration.js';
import { type AdminTarget, adminKey, callHub } from './admin-client.js';
import { loadConfigOrExit, runArchiveReplay, usage } from './store-commands.js';

interface HubOptions {
  hub: string;
  key?: string;
}

interface ReplayAnswer {
  id: number;
  total: number;
  delivered: number;
  pending: number;
  parked: number;
  status: string;
}

interface ExceptionItem {
  id: number;
  code: string;
  status: string;
  subscription?: string;
  system?: string;
  eventId?: string;
  subject?: string;
  lastStatus?: number;
  lastError?: string;
  detail: string;
  createdAt: string;
}

const target = (options: HubOptions): AdminTarget => ({ hub: options.hub, key: adminKey(options.key) });
const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

function withHub(command: Command): Command {
  return command
    .option('--hub <url>', 'base URL of the running hub', 'http://127.0.0.1:8080')
    .option('--key <key>', 'admin key (default: $MANIFOLD_ADMIN_KEY)');
}

/**
 * Polls a replay every second until it completes, printing its progress only when it changed. Past
 * `timeoutMs` it stops waiting with exit code 3 (the replay itself goes on in the hub).
 */
async function waitForReplay(hub: AdminTarget, first: ReplayAnswer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let replay = first;
  let printed = '';
  while (replay.status !== 'completed') {
    if (Date.now() >= deadline) {
      process.stderr.write(
        `manifold: replay ${replay.id} not completed after ${Math.round(timeoutMs / 1000)} s ` +
          `(delivered ${replay.delivered}/${replay.total}, pending ${replay.pending}, parked ${replay.parked}); ` +
          `it goes on in the hub: GET /v1/replays/${replay.id}\n`,
      );
      process.exit(3);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, Math.max(0, deadline - Date.now()))));
    replay = await callHub<ReplayAnswer>(hub, 'GET', `/v1/replays/${replay.id}`);
    const progress = `  delivered ${replay.delivered}/${replay.total}, parked ${replay.parked}\n`;
    if (progress !== printed) process.stdout.write(progress);
    printed = progress;
  }
}

/** Adds the admin commands to the program. */
export function registerAdminCommands(program: Command): void {
  withHub(
    program
      .command('replay')
      .description(
        're-send a selection of the log to one subscription, with the original idempotency keys; or, with --from-archive, ingest the events of an archive of pruned events again (duplicates stay duplicates)',
      )
      .option('--subscription <name>', 'subscription to replay to (required without --from-archive)')
      .option('--from <time>', 'ingested at or after (ISO 8601; required without --from-archive)')
      .option('--from-archive <file>', 'an archive of pruned events (events-….jsonl.gz) to ingest again')
      .option('-c, --config <file>', "with --from-archive: the hub's configuration file (YAML)")
      .option('--to <time>', 'ingested before (ISO 8601)')
      .option('--types <patterns>', 'comma-separated type patterns, `*` wildcards')
      .option('--subject <key>', 'only this order id or sku@location')
      .option('--correlationid <id>', 'only this correlation id')
      .option('--note <why>', 'why (kept in the audit log)')
      .option('--wait', 'wait until the replay has been delivered, printing progress when it changes')
      .option(
        '--timeout <duration>',
        'with --wait: give up waiting after this long (e.g. 90s, 10m, 1h), exit 3; the replay goes on',
        '10m',
      ),
  ).action(
    async (
      options: HubOptions & {
        subscription?: string;
        from?: string;
        fromArchive?: string;
        config?: string;
        to?: string;
        types?: string;
        subject?: string;
        correlationid?: string;
        note?: string;
        wait?: boolean;
        timeout: string;
      },
    ) => {
      if (options.fromArchive !== undefined) {
        if (options.config === undefined) usage('--from-archive needs --config (the store to ingest into)');
        const config = loadConfigOrExit(options.config);
        process.stdout.write(`${await runArchiveReplay(config, options.fromArchive)}\n`);
        return;
      }
      if (options.subscription === undefined || options.from === undefined) {
        usage('replay needs --subscription and --from (or --from-archive)');
      }
      const hub = target(options);
      const timeoutMs = parseDurationMs(options.timeout, 's');
      if (timeoutMs === undefined || timeoutMs <= 0) {
        process.stderr.write(
          `manifold: invalid --timeout '${options.timeout}'; expected e.g. 90s, 10m, 1h\n`,
        );
        process.exit(2);
      }
      const body = {
        subscription: options.subscription,
        from: options.from,
        ...(options.to ? { to: options.to } : {}),
        ...(options.types ? { types: options.types.split(',').map((t) => t.trim()) } : {}),
        ...(options.subject ? { subject: options.subject } : {}),
        ...(options.correlationid ? { correlationid: options.correlationid } : {}),
        ...(options.note ? { note: options.note } : {}),
      };
      const replay = await callHub<ReplayAnswer>(hub, 'POST', '/v1/replays', body);
      process.stdout.write(
        `replay ${replay.id}: ${replay.total} event(s) queued for ${options.subscription}\n`,
      );
      if (options.wait) await waitForReplay(hub, replay, timeoutMs);
    },
  );

  const exceptions = program.command('exceptions').description("the operators' exception queue");
  withHub(
    exceptions
      .command('list')
      .description('list exceptions (open by default)')
      .option('--status <status>', 'open | resolved', 'open')
      .option('--subscription <name>')
      .option('--code <code>')
      .option('--system <name>')
      .option('--json', 'print JSON'),
  ).action(
    async (
      options: HubOptions & {
        status: string;
        subscription?: string;
        code?: string;
        system?: string;
        json?: boolean;
      },
    ) => {
      const query = new URLSearchParams({ status: options.status, limit: '1000' });
      for (const name of ['subscription', 'code', 'system'] as const) {
        const value = options[name];
        if (value) query.set(name, value);
      }
      const page = await callHub<{ items: ExceptionItem[] }>(
        target(options),
        'GET',
        `/v1/exceptions?${query}`,
      );
      if (options.json) {
        print(page.items);
        return;
      }
      for (const e of page.items) {
        const response = e.lastStatus ? `HTTP ${e.lastStatus}` : (e.lastError ?? '');
        process.stdout.write(
          `#${e.id}  ${e.createdAt}  ${e.code}  ${e.subscription ?? e.system ?? '-'}  ${e.subject ?? '-'}  ${e.eventId ?? '-'}  ${response}\n    ${e.detail}\n`,
        );
      }
      process.stdout.write(`${page.items.length} ${options.status} exception(s)\n`);
    },
  );
  withHub(
    exceptions
      .command('retry')
      .description(
        'send the parked event of an exception again (or every open one matching --subscription/--code)',
      )
      .argument('[id]', 'exception id')
      .option('--subscription <name>')
      .option('--code <code>')
      .option('--note <why>'),
  ).action(
    async (
      id: string | undefined,
      options: HubOptions & { subscription?: string; code?: string; note?: string },
    ) => {
      const hub = target(options);
      const note = options.note ? { note: options.note } : {};
      if (id) {
        print(await callHub(hub, 'POST', `/v1/exceptions/${id}/retry`, note));
        return;
      }
      if (!options.subscription && !options.code)
        throw new Error('give an exception id, or --subscription/--code for a bulk retry');
      const filter = {
        ...(options.subscription ? { subscription: options.subscription } : {}),
        ...(options.code ? { code: options.code } : {}),
      };
      print(await callHub(hub, 'POST', '/v1/exceptions/retry', { ...filter, ...note }));
    },
  );
  withHub(
    exceptions
      .command('resolve')
      .description('close an exception without sending; its parked event is skipped')
      .argument('<id>', 'exception id')
      .requiredOption('--note <why>', 'why (kept in the audit log)'),
  ).action(async (id: string, options: HubOptions & { note: string }) => {
    print(await callHub(target(options), 'POST', `/v1/exceptions/${id}/resolve`, { note: options.note }));
  });
}
