/**
 * The store's numbered SQL migrations, one source for both adapters (`migrations/NNNN_name.sql`), rendered
 * per dialect. See docs/adr/0006-one-migration-source.md for the rules:
 *
 * - `NNNN_name.sql` is shared; `{{TOKEN}}` stands for a spelling that differs per engine (DIALECT_TOKENS).
 * - `NNNN_name.sqlite.sql` / `NNNN_name.postgres.sql` replace the shared file for that engine, where the
 *   statements themselves differ (only 0002 and 0004, written before this layout).
 * - Every version exists for every engine, under one name, so both adapters apply the same versions.
 *
 * Read at run time from beside this module (`src/store/migrations`, copied to `dist/store/migrations` by
 * `scripts/copy-migrations.mjs`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DIALECTS = ['sqlite', 'postgres'] as const;
export type Dialect = (typeof DIALECTS)[number];

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The spellings per engine. New tables store times as ISO 8601 text in both (see the ADR); TIMESTAMPTZ
 * and JSONB are the column types of 0001, kept for the databases already deployed.
 */
export const DIALECT_TOKENS: Record<string, Record<Dialect, string>> = {
  /** An auto-numbered primary key. */
  SERIAL: {
    sqlite: 'INTEGER PRIMARY KEY AUTOINCREMENT',
    postgres: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
  },
  /** A reference to a SERIAL key. */
  BIGINT: { sqlite: 'INTEGER', postgres: 'BIGINT' },
  /** A time column of the tables made before ISO text was settled on (0001, 0002). */
  TIMESTAMPTZ: { sqlite: 'TEXT', postgres: 'TIMESTAMPTZ' },
  /** A JSON document column of those tables. */
  JSONB: { sqlite: 'TEXT', postgres: 'JSONB' },
};

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)(?:\.(sqlite|postgres))?\.sql$/;

/** Replaces the `{{TOKEN}}`s of a shared migration with the engine's spelling. */
export function renderMigration(sql: string, dialect: Dialect, file = 'migration'): string {
  return sql.replace(/\{\{([A-Z_]+)\}\}/g, (_, token: string) => {
    const spelling = DIALECT_TOKENS[token];
    if (!spelling) throw new Error(`${file}: unknown token {{${token}}}`);
    return spelling[dialect];
  });
}

/** The migrations of one engine, in version order, from `dir` (default: the store's own). */
export function readMigrations(dialect: Dialect, dir: URL = MIGRATIONS_DIR): Migration[] {
  const path = fileURLToPath(dir);
  const versions = new Map<number, { name: string; shared?: string; own?: string }>();
  for (const file of readdirSync(path)) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_NAME.exec(file);
    if (!match) throw new Error(`migration file name '${file}' in ${path} is not NNNN_name[.engine].sql`);
    const version = Number(match[1]);
    const name = match[2] as string;
    const entry = versions.get(version) ?? { name };
    if (entry.name !== name) {
      throw new Error(`migration ${match[1]} in ${path} has two names: '${entry.name}' and '${name}'`);
    }
    if (match[3] === undefined) entry.shared = file;
    else if (match[3] === dialect) entry.own = file;
    versions.set(version, entry);
  }
  return [...versions.entries()]
    .sort(([a], [b]) => a - b)
    .map(([version, entry]) => {
      const file = entry.own ?? entry.shared;
      if (!file) {
        throw new Error(
          `migration ${String(version).padStart(4, '0')}_${entry.name} in ${path} has no file for ${dialect}`,
        );
      }
      return {
        version,
        name: entry.name,
        sql: renderMigration(readFileSync(`${path}/${file}`, 'utf8'), dialect, file),
      };
    });
}
