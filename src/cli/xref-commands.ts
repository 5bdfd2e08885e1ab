/**
 * `bin/manifold xref load TABLE FILE`: loads a CSV or NDJSON file into a cross-reference table of a running
 * hub through `POST /v1/xref/{table}` (all or nothing; docs/connectors.md#cross-reference-tables).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { adminKey, HubRequestError } from './admin-client.js';

const TYPES: Record<string, string> = {
  csv: 'text/csv',
  ndjson: 'application/x-ndjson',
};

/** The content type of `file`: `--format`, else its extension (.csv; .ndjson, .jsonl). */
export function loadFormat(file: string, format?: string): string {
  const name = format ?? file.toLowerCase().split('.').pop() ?? '';
  const type = TYPES[name === 'jsonl' ? 'ndjson' : name];
  if (type === undefined) {
    throw new Error(
      `cannot tell the format of ${file}; name it .csv or .ndjson, or give --format csv|ndjson`,
    );
  }
  return type;
}

/** Adds `xref load` to the program. */
export function registerXrefCommands(program: Command): void {
  const xref = program.command('xref').description('cross-reference tables of a running hub');
  xref
    .command('load')
    .description(
      'load a CSV (header key,<fields…>) or NDJSON ({"key","value"} per line) file, all or nothing',
    )
    .argument('<table>', 'a table under xref: in the configuration')
    .argument('<file>', 'the file to load')
    .option('--format <format>', 'csv or ndjson (default: from the file name)')
    .option('--hub <url>', 'base URL of the running hub', 'http://127.0.0.1:8080')
    .option('--key <key>', 'admin key (default: $MANIFOLD_ADMIN_KEY)')
    .action(async (table: string, file: string, options: { format?: string; hub: string; key?: string }) => {
      const type = loadFormat(file, options.format);
      const body = readFileSync(file);
      const response = await fetch(new URL(`/v1/xref/${encodeURIComponent(table)}`, options.hub), {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey(options.key)}`, 'content-type': type },
        body,
      });
      const text = await response.text();
      const parsed = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      if (!response.ok) throw new HubRequestError(response.status, parsed as HubRequestError['problem']);
      process.stdout.write(
        `loaded ${String(parsed.loaded)} entr${parsed.loaded === 1 ? 'y' : 'ies'} into ${table}\n`,
      );
    });
}
