/** Reading an adapter's numbered SQL migrations (`migrations/0001_name.sql`). */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The migrations in `dir`, in version order. File names must be `NNNN_name.sql`. */
export function readMigrations(dir: URL): Migration[] {
  const path = fileURLToPath(dir);
  return readdirSync(path)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
      if (!match) throw new Error(`migration file name '${file}' in ${path} is not NNNN_name.sql`);
      return {
        version: Number(match[1]),
        name: match[2] as string,
        sql: readFileSync(`${path}/${file}`, 'utf8'),
      };
    })
    .sort((a, b) => a.version - b.version);
}
