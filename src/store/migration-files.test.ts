import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, readMigrations, renderMigration } from './migration-files.js';

/**
 * SHA-256 of each engine's migration files as they were when every adapter had a folder of its own
 * (`src/store/sqlite/migrations`, `src/store/postgres/migrations`). Databases deployed with them must get
 * exactly the same schema from the single source, so the rendered text must be byte for byte the same.
 */
const BEFORE_ONE_SOURCE = {
  sqlite: {
    '0001_init': '4abd2c0a3546450ae434f8923c934f4aa59b52ea590d2625342a68d3446ca268',
    '0002_delivery': '8a475142dc99d47a60e85cd8750c49332a887f721283eb9d52de90f08a832214',
    '0003_inventory': '368deb738a6f507753a65c6add5e89fdc8a80d44f25156ac642cf5e03b9406cb',
    '0004_coalesce': '7fed1129761e04a81450ea0e845bc9ac71d843c01fab35734b9ae811f87bc367',
    '0005_orders': '06f943bf2ff7b319c5806b713a0b7f7e3ad3500b501228703eb952c97c32293a',
    '0006_edi_outbound': '5a0ef37ec1a197adda7ea986a309d2a7ab1464af3ff1207843e2dacbd198f5fd',
    '0007_operations': 'c2cc59719cecc680f7c56a9af9735b6784211e7fb5a2119d4006df33434e8a94',
    '0008_processes': '0cf369f728f7e29b1d23b64f4ad3b7d3ebbde6a2a9019289e270c8606f12796b',
    '0009_idempotency_owner': '014d023af977205ca688351f8474ec17ad94d080dd0b19458b89f32d64ba5888',
    '0010_throttling': 'dc16d743f14cedae77a35e6c92487d51cedcb17d1ac3e9d1f092ec23720da8f6',
  },
  postgres: {
    '0001_init': '442e372dac209e0960482e9b9dd1f8d21a9052a3bd036939fcf78d2ff5194adc',
    '0002_delivery': '2029dc27f12326ace2e78d069f86982e559409f6c2417b2f2b66730808197d88',
    '0003_inventory': 'c5510a94fbe4ef633b6b8ca5981fd87e3be813f2e1fc6a1174d8764035d1e496',
    '0004_coalesce': '0796f7071a181bb2fd81b3533f792b622f7b887ac5132672ffb9fafdc9b2c002',
    '0005_orders': '33b07dfe80d621cb2f1bbd6c90bfb7af08c2f68f68d7478ea47459ef94dbeef3',
    '0006_edi_outbound': '5a0ef37ec1a197adda7ea986a309d2a7ab1464af3ff1207843e2dacbd198f5fd',
    '0007_operations': 'c2cc59719cecc680f7c56a9af9735b6784211e7fb5a2119d4006df33434e8a94',
    '0008_processes': '0cf369f728f7e29b1d23b64f4ad3b7d3ebbde6a2a9019289e270c8606f12796b',
    '0009_idempotency_owner': '014d023af977205ca688351f8474ec17ad94d080dd0b19458b89f32d64ba5888',
    '0010_throttling': 'dc16d743f14cedae77a35e6c92487d51cedcb17d1ac3e9d1f092ec23720da8f6',
  },
} as const;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('one migration source', () => {
  for (const dialect of DIALECTS) {
    it(`renders 0001–0010 for ${dialect} exactly as the files the deployed databases were made with`, () => {
      const rendered = Object.fromEntries(
        readMigrations(dialect)
          .filter((m) => m.version <= 10)
          .map((m) => [`${String(m.version).padStart(4, '0')}_${m.name}`, sha256(m.sql)]),
      );
      expect(rendered).toEqual(BEFORE_ONE_SOURCE[dialect]);
    });

    it(`leaves no token unrendered for ${dialect}`, () => {
      for (const migration of readMigrations(dialect)) expect(migration.sql).not.toMatch(/\{\{|\}\}/);
    });
  }

  it('gives both engines the same versions under the same names', () => {
    const names = (dialect: (typeof DIALECTS)[number]) =>
      readMigrations(dialect).map((m) => `${m.version}_${m.name}`);
    expect(names('sqlite')).toEqual(names('postgres'));
    expect(names('sqlite').length).toBeGreaterThanOrEqual(10);
  });

  it('spells each token per engine', () => {
    const sql = 'CREATE TABLE t (id {{SERIAL}}, ref {{BIGINT}}, at {{TIMESTAMPTZ}}, doc {{JSONB}});';
    expect(renderMigration(sql, 'sqlite')).toBe(
      'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, ref INTEGER, at TEXT, doc TEXT);',
    );
    expect(renderMigration(sql, 'postgres')).toBe(
      'CREATE TABLE t (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ref BIGINT, at TIMESTAMPTZ, doc JSONB);',
    );
  });

  describe('refuses a source that would let the engines drift apart', () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    });
    const folder = (files: Record<string, string>) => {
      dir = mkdtempSync(join(tmpdir(), 'manifold-migrations-'));
      for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
      return pathToFileURL(`${dir}/`);
    };

    it('an unknown token', () => {
      const url = folder({ '0001_a.sql': 'CREATE TABLE t (x {{UUID}});' });
      expect(() => readMigrations('sqlite', url)).toThrow('0001_a.sql: unknown token {{UUID}}');
    });

    it('a version written for one engine only', () => {
      const url = folder({ '0001_a.sql': 'SELECT 1;', '0002_b.sqlite.sql': 'SELECT 2;' });
      expect(readMigrations('sqlite', url).map((m) => m.sql)).toEqual(['SELECT 1;', 'SELECT 2;']);
      expect(() => readMigrations('postgres', url)).toThrow('migration 0002_b');
    });

    it('one version under two names', () => {
      const url = folder({ '0001_a.sqlite.sql': 'SELECT 1;', '0001_b.postgres.sql': 'SELECT 1;' });
      expect(() => readMigrations('sqlite', url)).toThrow('two names');
    });

    it('an engine override wins over the shared file', () => {
      const url = folder({ '0001_a.sql': 'SELECT {{BIGINT}};', '0001_a.postgres.sql': 'SELECT 2;' });
      expect(readMigrations('sqlite', url)[0]?.sql).toBe('SELECT INTEGER;');
      expect(readMigrations('postgres', url)[0]?.sql).toBe('SELECT 2;');
    });
  });
});
