import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, readMigrations, renderMigration } from './migration-files.js';

/**
 * SHA-256 of each engine's migration files as they were when every adapter had a folder of its own
 * (`src/store/sqlite/migrations`, `src/store/postgres/migrations`), in their last form (whose comments no
 * longer cited documents outside the repository). Databases deployed with them must get
 * exactly the same schema from the single source, so the rendered text must be byte for byte the same.
 */
const BEFORE_ONE_SOURCE = {
  sqlite: {
    '0001_init': '0855a78a22cc897befff74b91cf7f540ba27cdb123a084c56717515d48e82b05',
    '0002_delivery': 'be748aa6401c259bd4b2d98faabb8a415fcacf5e9c1e22e891b66348feb605c0',
    '0003_inventory': '233a2d4b556b3ff34980211a2f4924c8ea993925a01bcce734527f6c215818dd',
    '0004_coalesce': '06380eed229039b1e8fee0373ebbf11c68b0eb031719e66549a8be585bdea4e1',
    '0005_orders': '6924e4eb69bc534603514f192b0f7ad9910b84d6f1e5e2ac36e8d976a3ac781c',
    '0006_edi_outbound': '5b8d56f1ca355fe889958ef3470af28c530aec678a05c0dfc6b3fb0f5b8ac411',
    '0007_operations': '2dd6f750616c57ec39a955deab2bd9e4f854792519e547c8d404ef2a8ce59f39',
    '0008_processes': '0cf369f728f7e29b1d23b64f4ad3b7d3ebbde6a2a9019289e270c8606f12796b',
    '0009_idempotency_owner': '014d023af977205ca688351f8474ec17ad94d080dd0b19458b89f32d64ba5888',
    '0010_throttling': 'dc16d743f14cedae77a35e6c92487d51cedcb17d1ac3e9d1f092ec23720da8f6',
  },
  postgres: {
    '0001_init': '4e44aebf0d04e75405aefb7e3e78742ff7360cf21a455ce44d66c021c4ab9855',
    '0002_delivery': '9ddd77f024065d85492ad40f674fb5679882f0f61cead24031a0421c49f08b00',
    '0003_inventory': '3eabbdd01955d5fb1d9124306337a7d4dc9aa0602714e3a3af3a44648c8a5c1b',
    '0004_coalesce': '2b5e0c8daac1966a90447adbe1e1a573ecd8d1178c36007bac0abd077656dbf8',
    '0005_orders': '8e9aa72f197512706df67c39be026ed07c16f2344619acbfb7f0076c4993f5f8',
    '0006_edi_outbound': '5b8d56f1ca355fe889958ef3470af28c530aec678a05c0dfc6b3fb0f5b8ac411',
    '0007_operations': '2dd6f750616c57ec39a955deab2bd9e4f854792519e547c8d404ef2a8ce59f39',
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
