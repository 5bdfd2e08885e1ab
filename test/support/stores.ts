/**
 * Test stores for suites that run against every adapter: a fresh SQLite file or a fresh PostgreSQL schema
 * per call, so test files never see each other's rows. `STORES=sqlite` narrows the adapters.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store-port.js';

export const STORE_KINDS = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** The PostgreSQL server tests use: `MANIFOLD_TEST_POSTGRES_URL`, or the local development server. */
export const TEST_POSTGRES_URL =
  process.env.MANIFOLD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The adapters named by `STORES` (default: all), in order. Throws on a name that is not an adapter. */
export function requestedStores(): StoreKind[] {
  const names = (process.env.STORES ?? STORE_KINDS.join(','))
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(STORE_KINDS as readonly string[]).includes(name)) {
      throw new Error(`STORES: unknown store '${name}'; known stores: ${STORE_KINDS.join(', ')}`);
    }
  }
  return names as StoreKind[];
}

/**
 * Why the adapter cannot be tested here, or undefined when it can. Only PostgreSQL can be missing:
 * it needs a reachable server.
 */
export async function storeUnavailable(kind: StoreKind): Promise<string | undefined> {
  if (kind === 'sqlite') return undefined;
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${redact(TEST_POSTGRES_URL)} is unreachable (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface TestStore {
  /** A store on the fresh database, migrated unless asked otherwise. */
  store: Store;
  /** The names `migrate()` applied when the store was opened (empty when not migrated). */
  applied: string[];
  /** Opens another, unmigrated, store on the same database: a second hub process, or a restart. */
  reopen(options?: { now?: () => Date }): Store;
  /** Closes every store opened here and deletes the database. */
  cleanup(): Promise<void>;
}

export interface TestStoreOptions {
  /** Run `migrate()` before returning (default true). */
  migrate?: boolean;
  now?: () => Date;
}

/** Opens a store of `kind` on a database of its own: a temp SQLite file, or a new PostgreSQL schema. */
export async function openTestStore(kind: StoreKind, options: TestStoreOptions = {}): Promise<TestStore> {
  const opened: Store[] = [];
  let open: (now?: () => Date) => Store;
  let drop: () => Promise<void>;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'manifold-store-'));
    const path = join(dir, 'manifold.db');
    open = (now) => new SqliteStore({ path, ...(now ? { now } : {}) });
    drop = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const schema = `conf_${randomBytes(6).toString('hex')}`;
    open = (now) =>
      new PostgresStore({ url: TEST_POSTGRES_URL, schema, poolSize: 4, ...(now ? { now } : {}) });
    drop = async () => {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    };
  }
  const reopen = (reopenOptions: { now?: () => Date } = {}) => {
    const store = open(reopenOptions.now);
    opened.push(store);
    return store;
  };
  const store = reopen(options.now ? { now: options.now } : {});
  const applied = options.migrate === false ? [] : await store.migrate();
  return {
    store,
    applied,
    reopen,
    cleanup: async () => {
      await Promise.allSettled(opened.map((s) => s.close()));
      await drop();
    },
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/**
 * Declares `suite` under `title` when the store is reachable. Otherwise: under CI (where every store
 * must be there) a failing test naming the reason; elsewhere a visibly skipped suite with the reason.
 */
export async function describeWithStore(kind: StoreKind, title: string, suite: () => void): Promise<void> {
  const unavailable = await storeUnavailable(kind);
  if (!unavailable) {
    describe(title, suite);
  } else if (process.env.CI) {
    describe(title, () => {
      it('is available (required when CI is set)', () => {
        throw new Error(unavailable);
      });
    });
  } else {
    console.warn(`${title}: skipping: ${unavailable}`);
    describe.skip(`${title} (skipped: ${unavailable})`, () => {
      it('runs', () => undefined);
    });
  }
}

export interface EachStoreOptions extends TestStoreOptions {
  /** Open a fresh store before each test (`'each'`) or once for the suite (`'all'`); default: none. */
  fresh?: 'each' | 'all';
}

/**
 * Declares `suite` once per requested adapter, titled `title: kind` (see `describeWithStore`). With
 * `fresh`, a store of that kind is opened before each test (or once for the suite) and cleaned up after;
 * the suite's `t` always reads the store currently open, so hooks the suite declares may use it.
 */
export async function describeEachStore(
  title: string,
  suite: (t: TestStore, kind: StoreKind) => void,
  options: EachStoreOptions = {},
): Promise<void> {
  const { fresh, ...storeOptions } = options;
  for (const kind of requestedStores()) {
    await describeWithStore(kind, `${title}: ${kind}`, () => {
      let current: TestStore | undefined;
      const open = async () => {
        current = await openTestStore(kind, storeOptions);
      };
      const close = async () => {
        const closing = current;
        current = undefined;
        await closing?.cleanup();
      };
      if (fresh === 'each') {
        beforeEach(open);
        afterEach(close);
      } else if (fresh === 'all') {
        beforeAll(open);
        afterAll(close);
      }
      const opened = (): TestStore => {
        if (!current) throw new Error(`${title}: no store is open here (fresh: ${fresh ?? 'none'})`);
        return current;
      };
      suite(
        {
          get store() {
            return opened().store;
          },
          get applied() {
            return opened().applied;
          },
          reopen: (reopenOptions) => opened().reopen(reopenOptions),
          cleanup: () => opened().cleanup(),
        },
        kind,
      );
    });
  }
}
