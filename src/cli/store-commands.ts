/**
 * Store maintenance from the command line (docs/operations.md#retention-and-backups):
 *
 * - `bin/manifold backup -c FILE --to BACKUP`: an online backup of the embedded SQLite store, safe while
 *   the hub runs (PostgreSQL: `pg_dump`, see the docs);
 * - `bin/manifold replay --from-archive ARCHIVE -c FILE`: the events of an archive of pruned events,
 *   ingested again through the normal path (validation, ownership, subscriptions) as the system that sent
 *   each: an event still in the log is a duplicate and changes nothing.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CompiledConfig } from '../config/compiled-config.js';
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import { IngestService } from '../engine/ingest-service.js';
import { readArchive } from '../engine/retention/event-archive.js';
import { openStore } from '../store/open-store.js';
import { backupSqlite } from '../store/sqlite/sqlite-backup.js';

/** Backs the configured store up to `to`; returns the line to print. */
export async function runBackup(config: CompiledConfig, to: string): Promise<string> {
  if (config.store.kind !== 'sqlite') {
    throw new Error(
      'backup copies the embedded SQLite store; back PostgreSQL up with pg_dump (docs/operations.md#retention-and-backups)',
    );
  }
  const target = resolve(to);
  const started = Date.now();
  const result = await backupSqlite(config.store.path, target);
  const bytes = result.pages * result.pageSize;
  return `backed up ${config.store.path} to ${target} (${bytes} bytes, ${Date.now() - started} ms)`;
}

/** Ingests the events of an archive again; returns the line to print. */
export async function runArchiveReplay(config: CompiledConfig, file: string): Promise<string> {
  const lines = await readArchive(file);
  const store = await openStore(config.store);
  const counts = { accepted: 0, duplicate: 0 };
  try {
    const ingest = new IngestService(config, store);
    // In log order, one call per run of events of one system (a run is one transaction).
    let run: typeof lines = [];
    const flush = async () => {
      const first = run[0];
      if (first === undefined) return;
      const results = await ingest.ingest(
        first.system,
        run.map((l) => l.event),
        true,
      );
      for (const r of results) counts[r.status] += 1;
      run = [];
    };
    for (const line of lines) {
      if (run.length > 0 && (run[0]?.system !== line.system || run.length >= 500)) await flush();
      run.push(line);
    }
    await flush();
  } finally {
    await store.close();
  }
  return `replayed ${lines.length} event(s) from ${file}: ${counts.accepted} accepted, ${counts.duplicate} duplicate(s)`;
}

/** The compiled configuration, or exit 1 listing its problems (file:line:column). */
export function loadConfigOrExit(file: string): CompiledConfig {
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

/** A usage error: the message, exit 2. */
export function usage(message: string): never {
  process.stderr.write(`manifold: ${message}\n`);
  process.exit(2);
}

/** Adds `backup` to the program. */
export function registerBackupCommand(program: Command): void {
  program
    .command('backup')
    .description('copy the embedded SQLite store to a file, online (safe while the hub runs)')
    .requiredOption('-c, --config <file>', 'configuration file (YAML) naming the store')
    .requiredOption('--to <file>', 'the backup file to write (replaced when it exists)')
    .action(async (options: { config: string; to: string }) => {
      const config = loadConfigOrExit(options.config);
      try {
        process.stdout.write(`${await runBackup(config, options.to)}\n`);
      } catch (error) {
        process.stderr.write(`manifold backup: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      }
    });
}
